fn main() -> std::process::ExitCode {
    atlas::cli::main()
}
