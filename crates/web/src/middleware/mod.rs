pub mod clean_input;
pub mod errors;
pub mod observe;
pub mod security_headers;
