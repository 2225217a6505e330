fn main() -> std::process::ExitCode {
    wirelint::cli::main()
}
