//! `--watch` for `build` and `sourcemap`: the dev server's session without
//! the server, whose tree follows the files (and equals a fresh build).

use anyhow::Context;

use crate::serve::ServeSession;

/// Calls `write("…")` once (`first`), then after every batch of changes
/// the session applies (`again`), until Ctrl-C.
pub fn follow(
    session: &ServeSession,
    first: &str,
    again: &str,
    mut write: impl FnMut(&str),
) -> anyhow::Result<()> {
    let queue = session.queue().clone();
    let mut changed = queue.subscribe();
    let mut cursor = queue.cursor();
    write(first);
    log::info!(
        "watching {} for changes (Ctrl-C to stop)",
        session.project_folder().display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start waiting for changes")?;
    loop {
        let stop = runtime.block_on(async {
            tokio::select! {
                _ = crate::web::shutdown_signal() => true,
                result = changed.changed() => result.is_err(),
            }
        });
        if stop {
            return Ok(());
        }
        let (now, messages) = queue.since(cursor);
        cursor = now;
        if !messages.is_empty() {
            write(again);
        }
    }
}
