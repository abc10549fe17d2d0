//! `atlas init`: a new project that builds and serves as it is.
//!
//! Every kind gets a project file (whose `$schema` is the project schema,
//! written with the meta and model schemas into `.atlas/`), a `src/`
//! folder, a `.gitignore` for built files and a short README with the
//! commands to build and serve. A
//! place gets one script per side (server, client, shared module); a model
//! a ModuleScript; a plugin a plugin Script. Nothing is written when any of
//! these files exists already.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitKind {
    Place,
    Model,
    Plugin,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already holds {}; atlas init writes nothing over existing files", folder.display(), list(existing))]
    Exists {
        folder: PathBuf,
        existing: Vec<PathBuf>,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files of a new project named `name`, relative to its folder.
pub fn files(kind: InitKind, name: &str) -> Vec<(PathBuf, String)> {
    let quoted = serde_json::to_string(name).unwrap_or_else(|_| "\"project\"".to_owned());
    let mut files = Vec::new();
    let (project, built) = match kind {
        InitKind::Place => (
            format!(
                r#"{{
  $schema: "./.atlas/project.schema.json",
  name: {quoted},
  tree: {{
    $className: "DataModel",
    ReplicatedStorage: {{
      Shared: {{ $path: "src/shared" }},
    }},
    ServerScriptService: {{
      Server: {{ $path: "src/server" }},
    }},
    StarterPlayer: {{
      StarterPlayerScripts: {{
        Client: {{ $path: "src/client" }},
      }},
    }},
  }},
}}
"#
            ),
            format!("{name}.rbxl"),
        ),
        InitKind::Model | InitKind::Plugin => (
            format!(
                r#"{{
  $schema: "./.atlas/project.schema.json",
  name: {quoted},
  tree: {{
    $path: "src",
  }},
}}
"#
            ),
            format!("{name}.rbxm"),
        ),
    };
    files.push((PathBuf::from("default.project.json5"), project));
    match kind {
        InitKind::Place => {
            files.push((
                PathBuf::from("src/shared/Hello.luau"),
                "return function()\n\tprint(\"Hello from ReplicatedStorage.Shared\")\nend\n"
                    .to_owned(),
            ));
            files.push((
                PathBuf::from("src/server/main.server.luau"),
                "local Hello = require(game:GetService(\"ReplicatedStorage\").Shared.Hello)\n\nHello()\nprint(\"Hello from the server\")\n".to_owned(),
            ));
            files.push((
                PathBuf::from("src/client/main.client.luau"),
                "print(\"Hello from the client\")\n".to_owned(),
            ));
        }
        InitKind::Model => files.push((
            PathBuf::from("src/init.luau"),
            "local module = {}\n\nfunction module.hello()\n\tprint(\"Hello\")\nend\n\nreturn module\n"
                .to_owned(),
        )),
        InitKind::Plugin => files.push((
            PathBuf::from("src/init.server.luau"),
            format!(
                "local toolbar = plugin:CreateToolbar({quoted})\nlocal button = toolbar:CreateButton(\"Hello\", \"Says hello\", \"\")\n\nbutton.Click:Connect(function()\n\tprint(\"Hello from {}\")\nend)\n",
                name.replace('"', "")
            ),
        )),
    }
    // The schemas editors check project, meta and model files with.
    for schema in crate::schemas::SchemaKind::ALL {
        files.push((
            PathBuf::from(".atlas").join(schema.file_name()),
            schema.text().to_owned(),
        ));
    }
    files.push((
        PathBuf::from(".gitignore"),
        "# Built by atlas build\n*.rbxl\n*.rbxlx\n*.rbxm\n*.rbxmx\n# Written by atlas sourcemap\nsourcemap.json\n"
            .to_owned(),
    ));
    let second = match kind {
        InitKind::Place => {
            "atlas serve    # then connect from the Atlas plugin in Studio".to_owned()
        }
        InitKind::Model | InitKind::Plugin => {
            format!("atlas build --watch -o {built}    # builds again after every change")
        }
    };
    files.push((
        PathBuf::from("README.md"),
        format!(
            "# {name}

An Atlas project.

```
atlas build -o {built}
{second}
```
"
        ),
    ));
    files
}

/// Writes a new project into `folder` (created if missing). Returns the
/// files written, relative to it.
pub fn init(folder: &Path, kind: InitKind) -> Result<Vec<PathBuf>, InitError> {
    let name = project_name(folder);
    let files = files(kind, &name);
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(path, _)| path.clone())
        .filter(|path| folder.join(path).symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists {
            folder: folder.to_path_buf(),
            existing,
        });
    }
    for (path, contents) in &files {
        let full = folder.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|source| InitError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&full, contents).map_err(|source| InitError::Io {
            path: full.clone(),
            source,
        })?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// The project's name: its folder's name.
fn project_name(folder: &Path) -> String {
    std::path::absolute(folder)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "project".to_owned())
}
