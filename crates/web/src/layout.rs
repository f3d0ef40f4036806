//! What every page's frame shows: language switch, practice name, menu for the signed-in user.
//! A handler makes it from its `extract::Page` (`page.layout(user, active)`).

pub struct NavUser {
    pub name: String,
    pub is_staff: bool,
    pub is_admin: bool,
}

pub struct Layout {
    pub lang: &'static str,
    pub practice: String,
    pub user: Option<NavUser>,
    pub csrf: String,
    /// Where "Change language" returns to.
    pub here: String,
    /// The menu entry to mark as current.
    pub active: &'static str,
    pub dev_mailbox: bool,
    /// The side menu; off while a sign-in still waits for its second step to be set up.
    pub menu: bool,
}

impl Layout {
    /// The signed-in user the side menu is for, when it is shown.
    pub fn nav(&self) -> Option<&NavUser> {
        self.user.as_ref().filter(|_| self.menu)
    }

    /// The page without the side menu (its pages are not open yet); signing out stays.
    pub fn without_menu(mut self) -> Self {
        self.menu = false;
        self
    }

    pub fn is(&self, entry: &str) -> bool {
        self.active == entry
    }
}

/// Percent-encodes a path for use in a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
