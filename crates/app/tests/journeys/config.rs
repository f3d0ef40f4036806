use spreekuur::Config;

/// The README documents every configuration key with its default and its environment variable.
#[test]
fn readme_lists_every_config_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    for (key, default, _) in Config::KEYS {
        let env = format!("SPREEKUUR_{}", key.to_uppercase());
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{key}` |")))
            .unwrap_or_else(|| panic!("README does not list `{key}`"));
        assert!(row.contains(&env), "README row for {key} lacks {env}");
        if !default.is_empty() {
            assert!(
                row.contains(&format!("`{default}`")),
                "README row for {key} lacks its default `{default}`"
            );
        }
    }
}
