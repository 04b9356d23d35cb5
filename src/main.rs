//! The `cqrs-tickets` binary: everything lives in the library's `cli`
//! (natively) or `web` (in the browser, where the URL replaces the flags).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cqrs_tickets::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    cqrs_tickets::web::main()
}
