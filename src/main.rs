//! The `cqrs-tickets` binary: everything lives in the library's `cli`.

fn main() -> std::process::ExitCode {
    cqrs_tickets::cli::main()
}
