use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = nurie::cli::Cli::parse();
    match nurie::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", nurie::cli::terminal::error_report(error.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
