//! The `atlas` binary itself: exit codes, messages, and the output file.

mod common;

use std::path::Path;
use std::process::Command;

fn atlas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_atlas"))
}

#[test]
fn build_writes_each_output_kind() {
    let temp = tempfile::tempdir().unwrap();
    for name in ["demo.rbxl", "demo.rbxlx", "demo.rbxm", "demo.rbxmx"] {
        let output = temp.path().join(name);
        let result = atlas()
            .args(["build", "examples/demo-place", "-o"])
            .arg(&output)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(stdout.contains("Built"), "{stdout}");

        let dom = common::read_dom_file(&output);
        let top: Vec<&str> = dom
            .root()
            .children()
            .iter()
            .map(|r| dom.get_by_ref(*r).unwrap().class.as_str())
            .collect();
        if name.contains(".rbxl") {
            // A place holds the DataModel's children: the services.
            assert!(top.contains(&"Workspace"), "{name}: {top:?}");
        } else {
            assert_eq!(top, vec!["DataModel"], "{name}");
        }
    }
}

#[test]
fn failed_build_exits_nonzero_and_keeps_the_old_output() {
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("game.rbxl");
    std::fs::write(&output, b"previous build").unwrap();
    let result = atlas()
        .args(["build", "rojo-test/build-tests/error_malformed_model", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(stderr.contains("Bad.model.json5"), "{stderr}");
    assert!(stderr.contains("line 3, column 32"), "{stderr}");
    assert_eq!(std::fs::read(&output).unwrap(), b"previous build");
    assert_eq!(
        std::fs::read_dir(temp.path()).unwrap().count(),
        1,
        "a temporary file was left behind"
    );
}

#[test]
fn unknown_output_extension_is_an_error() {
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("game.zip");
    let result = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains(".rbxl, .rbxlx, .rbxm or .rbxmx"));
    assert!(!output.exists());
}

#[test]
fn folder_without_project_is_an_error() {
    let temp = tempfile::tempdir().unwrap();
    let result = atlas()
        .arg("build")
        .arg(temp.path())
        .args(["-o", "unused.rbxl"])
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("no project file"), "{stderr}");
    assert!(!Path::new("unused.rbxl").exists());
}

#[test]
fn unresolved_reference_is_a_warning_not_a_failure() {
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("refs.rbxm");
    let result = atlas()
        .args(["build", "rojo-test/build-tests/refs_paths", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("Nope.model.json5"), "{stderr}");
    assert!(output.exists());
}

#[cfg(unix)]
#[test]
fn folder_link_loop_is_an_error_not_a_hang() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    std::fs::create_dir_all(root.join("src/a")).unwrap();
    std::fs::write(
        root.join("default.project.json5"),
        "{ name: 'loop', tree: { $path: 'src' } }",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", root.join("src/a/up")).unwrap();
    let result = atlas()
        .arg("build")
        .arg(root)
        .arg("-o")
        .arg(root.join("out.rbxl"))
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("a folder that contains it"), "{stderr}");
}

#[test]
fn build_watch_writes_again_after_each_change_and_stops_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let temp = common::temp_dir();
    let project = temp.path().join("demo");
    common::roundtrip::copy_dir(Path::new("examples/demo-place"), &project, false);
    let output = temp.path().join("watched.rbxl");
    let mut child = atlas()
        .args(["build", "--watch", "-o"])
        .arg(&output)
        .arg(&project)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Lines arrive through a channel, so a missing one fails the test
    // instead of hanging it; the guard kills the child if the test fails.
    struct Guard(std::process::Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let mut child = Guard(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let next_line = || {
        receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a line within 30 s")
    };
    let first = next_line();
    assert!(first.starts_with("Built"), "{first}");

    std::fs::write(
        project.join("src/ServerScriptService/Main.server.luau"),
        "print('watched')\n",
    )
    .unwrap();
    let next = next_line();
    assert!(next.starts_with("Rebuilt"), "{next}");
    let dom = common::read_dom_file(&output);
    let sources: Vec<&rbx_dom_weak::types::Variant> = dom
        .descendants()
        .filter_map(|i| i.properties.get(&rbx_dom_weak::ustr("Source")))
        .collect();
    assert!(
        sources.contains(&&rbx_dom_weak::types::Variant::String(
            "print('watched')\n".to_owned()
        )),
        "the rebuilt place holds the edit"
    );

    let status = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        child.0.wait().unwrap().success(),
        "Ctrl-C ends the watch with exit code 0"
    );
}

#[test]
fn plugin_install_writes_the_model_atlas_build_makes_of_plugin_and_uninstall_removes_it() {
    let temp = tempfile::tempdir().unwrap();
    let installed = temp.path().join("Plugins/Atlas.rbxm");
    let succeed = |args: &[&str], path: &Path| -> String {
        let result = atlas().args(args).arg(path).output().unwrap();
        assert!(
            result.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        String::from_utf8_lossy(&result.stdout).into_owned()
    };
    let stdout = succeed(&["plugin", "install", "--output"], &installed);
    assert!(
        stdout.contains("Installed the Atlas 0.1.0 plugin"),
        "{stdout}"
    );

    let built = temp.path().join("Built.rbxm");
    succeed(&["build", "plugin", "-o"], &built);
    let (a, b) = (
        common::read_dom_file(&installed),
        common::read_dom_file(&built),
    );
    common::compare::assert_trees_equal(
        &a,
        a.root_ref(),
        &b,
        b.root_ref(),
        &common::compare::CompareOptions::strict(),
    );
    let names: Vec<&str> = a.descendants().map(|i| i.name.as_str()).collect();
    assert!(
        names.contains(&"Atlas") && names.contains(&"Session"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with(".spec")),
        "specs are not shipped"
    );

    succeed(&["plugin", "uninstall", "--output"], &installed);
    assert!(!installed.exists());
    let again = succeed(&["plugin", "uninstall", "--output"], &installed);
    assert!(again.contains("is not installed"), "{again}");

    let place = atlas()
        .args(["plugin", "install", "--output"])
        .arg(temp.path().join("Atlas.rbxl"))
        .output()
        .unwrap();
    assert!(!place.status.success());
    assert!(String::from_utf8_lossy(&place.stderr).contains(".rbxm or .rbxmx"));
}

#[cfg(target_os = "linux")]
#[test]
fn plugin_install_without_studio_says_to_use_output() {
    let result = atlas().args(["plugin", "install"]).output().unwrap();
    assert!(!result.status.success());
    assert!(
        String::from_utf8_lossy(&result.stderr).contains("give a file with --output"),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn an_xml_place_saved_under_a_binary_name_is_read_by_its_content() {
    let (dir, project) = common::repo_copy("examples/demo-place", "demo");
    let xml = dir.path().join("place.rbxlx");
    let result = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(&xml)
        .output()
        .unwrap();
    assert!(result.status.success());
    let misnamed = dir.path().join("old-place.rbxl");
    std::fs::rename(&xml, &misnamed).unwrap();
    let result = atlas()
        .arg("syncback")
        .arg(&project)
        .arg("-i")
        .arg(&misnamed)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let source = std::fs::read_to_string(project.join("src/ServerScriptService/Main.server.luau"))
        .expect("the scripts were written back from the XML place");
    let original =
        std::fs::read_to_string("examples/demo-place/src/ServerScriptService/Main.server.luau")
            .unwrap();
    assert_eq!(source, original);
}

#[test]
fn building_a_place_project_as_a_model_warns() {
    let temp = tempfile::tempdir().unwrap();
    let result = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(temp.path().join("demo.rbxm"))
        .output()
        .unwrap();
    assert!(result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("the project's root is a DataModel"),
        "{stderr}"
    );
}

#[test]
fn sourcemap_prints_scripts_and_writes_every_instance_with_paths_from_the_current_folder() {
    let printed = atlas()
        .args(["sourcemap", "examples/demo-place"])
        .output()
        .unwrap();
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let map: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(map["className"], "DataModel");
    let text = map.to_string();
    assert!(
        text.contains("\"examples/demo-place/src/ReplicatedStorage/Util.luau\""),
        "{text}"
    );
    // Scripts only: no Part, no StringValue.
    assert!(!text.contains("\"Part\""), "{text}");
    assert!(!text.contains("Motd"), "{text}");

    let temp = common::temp_dir();
    let output = temp.path().join("sourcemap.json");
    let written = atlas()
        .args(["sourcemap", "--include-non-scripts", "--absolute", "-o"])
        .arg(&output)
        .arg("examples/demo-place")
        .output()
        .unwrap();
    assert!(written.status.success());
    let map: serde_json::Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let text = map.to_string();
    assert!(text.contains("\"Motd\""), "{text}");
    let absolute = std::path::absolute("examples/demo-place/src/ReplicatedStorage/Motd.txt")
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(text.contains(&format!("\"{absolute}\"")), "{text}");
}

#[test]
fn sourcemap_watch_writes_again_after_a_file_is_added() {
    let temp = common::temp_dir();
    let project = temp.path().join("demo");
    common::roundtrip::copy_dir(Path::new("examples/demo-place"), &project, false);
    struct Guard(std::process::Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Guard(
        atlas()
            .args(["sourcemap", "--watch", "-o", "sourcemap.json"])
            .current_dir(&project)
            .spawn()
            .unwrap(),
    );
    let map = project.join("sourcemap.json");
    let wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&map) {
                if text.contains(needle) {
                    return text;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "sourcemap.json never held {needle}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait_for("\"src/ReplicatedStorage/Util.luau\"");
    common::write_file(
        &project.join("src/ServerScriptService/Added.server.luau"),
        "print('added')\n",
    );
    let text = wait_for("\"src/ServerScriptService/Added.server.luau\"");
    let _: serde_json::Value = serde_json::from_str(&text).expect("whole JSON, never half");
}

#[test]
fn init_makes_each_kind_of_project_that_builds_and_serves_and_refuses_to_overwrite() {
    let temp = common::temp_dir();
    for (kind, output, scripts) in [
        ("place", "game.rbxl", &["main", "main", "Hello"][..]),
        ("model", "model.rbxm", &["model"][..]),
        ("plugin", "plugin.rbxm", &["plugin"][..]),
    ] {
        let folder = temp.path().join(kind);
        let made = atlas()
            .args(["init", "--kind", kind])
            .arg(&folder)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        for file in [
            "default.project.json5",
            ".gitignore",
            "README.md",
            ".atlas/project.schema.json",
        ] {
            assert!(folder.join(file).is_file(), "{kind}: no {file}");
        }
        let have_git = Command::new("git").arg("--version").output().is_ok();
        assert_eq!(
            folder.join(".git").is_dir(),
            have_git,
            "{kind}: a repository exactly when git is installed"
        );

        let built = folder.join(output);
        let result = atlas()
            .arg("build")
            .arg(&folder)
            .arg("-o")
            .arg(&built)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let dom = common::read_dom_file(&built);
        let mut names: Vec<&str> = dom
            .descendants()
            .filter(|i| i.class.as_str().ends_with("Script"))
            .map(|i| i.name.as_str())
            .collect();
        names.sort();
        let mut expected = scripts.to_vec();
        expected.sort();
        assert_eq!(names, expected, "{kind}: the scripts built");

        let server = common::live::LiveServer::start(&folder, &[]);
        assert_eq!(server.info()["projectName"], kind, "{kind}: serves");
        drop(server);

        // A second init writes nothing and says why.
        let before = std::fs::read(folder.join("default.project.json5")).unwrap();
        let again = atlas()
            .args(["init", "--kind", kind])
            .arg(&folder)
            .output()
            .unwrap();
        assert!(!again.status.success(), "{kind}: a second init succeeded");
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(
            stderr.contains("writes nothing over existing files"),
            "{kind}: {stderr}"
        );
        assert_eq!(
            std::fs::read(folder.join("default.project.json5")).unwrap(),
            before
        );
    }
}

#[test]
fn the_progress_line_shows_on_a_terminal_only_and_not_with_quiet() {
    let temp = common::temp_dir();
    let output = temp.path().join("game.rbxl");
    // Not a terminal: no progress line, the summary on stdout.
    let piped = atlas()
        .args(["build", "examples/demo-place", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("building"));
    assert!(String::from_utf8_lossy(&piped.stdout).starts_with("Built"));

    // A terminal (through `script`, when the system has it).
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED the terminal half: `script` (util-linux) is not installed");
        return;
    }
    let run = |extra: &str| {
        let command = format!(
            "{} build {extra} examples/demo-place -o {}",
            env!("CARGO_BIN_EXE_atlas"),
            output.display()
        );
        let result = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .output()
            .unwrap();
        assert!(result.status.success(), "{command}");
        String::from_utf8_lossy(&result.stdout).into_owned()
    };
    let shown = run("");
    assert!(shown.contains("building"), "{shown:?}");
    assert!(shown.contains("Built"), "{shown:?}");
    let quiet = run("-q");
    assert!(!quiet.contains("building"), "{quiet:?}");
    assert!(quiet.contains("Built"), "{quiet:?}");
}

#[test]
fn serve_verbose_logs_which_files_changed_and_what_they_did_to_which_instances() {
    use std::io::{BufRead, BufReader};
    let temp = common::temp_dir();
    let project = temp.path().join("demo");
    common::roundtrip::copy_dir(Path::new("examples/demo-place"), &project, false);
    let mut child = atlas()
        .args(["serve", "-v", "--port", "0"])
        .arg(&project)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    struct Guard(std::process::Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Guard(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let wait_for = |needle: &str| loop {
        let line = receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no line with {needle:?} within 30 s"));
        if line.contains(needle) {
            return line;
        }
    };
    wait_for("serving");
    common::write_file(
        &project.join("src/ReplicatedStorage/Util.luau"),
        "return 5\n",
    );
    wait_for("changed: src/ReplicatedStorage/Util.luau");
    wait_for("updated ReplicatedStorage/Util: Source");
}
