//! `spreekuur serve`

use crate::config::Config;
use crate::startup::{App, StartError, shutdown_signal};

pub async fn serve(cfg: Config) -> Result<(), StartError> {
    let app = App::build(cfg).await?;
    if let Some(link) = app.setup_link() {
        // On stdout, not in the log: the link is a one-time secret for whoever started the server.
        println!(
            "\nNo staff account exists yet. Open this one-time link (valid for a limited time) to set up the practice:\n\n    {link}\n"
        );
        tracing::info!("printed the one-time setup link on standard output");
    }
    app.run(shutdown_signal()).await
}
