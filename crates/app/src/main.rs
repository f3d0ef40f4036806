//! `spreekuur`: parses the command line, sets up logging and runs the command.

use std::process::ExitCode;

use clap::Parser;
use spreekuur::cli::{AdminCommand, AuditCommand, Cli, Command, ConfigCommand, admin, serve};
use spreekuur::{Config, StartError};
use tracing_subscriber::EnvFilter;

fn init_logging(cfg: &Config) {
    let filter = EnvFilter::try_new(&cfg.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only on a terminal: a file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if cfg.log_format == "json" {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<(), StartError> {
    if let Command::Config {
        command: ConfigCommand::Example,
    } = cli.command
    {
        print!("{}", Config::example());
        return Ok(());
    }
    let cfg = Config::load(cli.config.as_deref(), std::env::vars())?;
    init_logging(&cfg);
    match cli.command {
        Command::Serve => serve::serve(cfg).await,
        Command::Migrate => {
            let core = spreekuur::Core::open(cfg, String::new()).await?;
            core.db.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateStaff {
                    email,
                    name,
                    role,
                    practice_name,
                    practice_email,
                },
        } => {
            // The command cannot know the address of a running server: say what it assumed.
            let assumed = cfg.public_url.is_empty().then(|| admin::public_url(&cfg));
            let link =
                admin::create_staff(cfg, &email, &name, &role, practice_name, practice_email)
                    .await?;
            println!(
                "Staff account created. Link to set the password (single use, valid 24 hours):\n\n    {link}\n"
            );
            if let Some(base) = assumed {
                println!(
                    "The link starts with {base}, assumed from `listen` because `public_url` is not set.\nIf people reach the server at another address, set public_url (or SPREEKUUR_PUBLIC_URL)\nto it and run this command again.\n"
                );
            }
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateToken {
                    login,
                    name,
                    rate_per_minute,
                },
        } => {
            let token = admin::create_token(cfg, &login, &name, rate_per_minute).await?;
            println!("{token}");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Audit {
                    command: AuditCommand::Verify,
                },
        } => {
            println!("{}", admin::audit_verify(cfg).await?);
            Ok(())
        }
        Command::Config { .. } => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("spreekuur: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spreekuur: {e}");
            ExitCode::FAILURE
        }
    }
}
