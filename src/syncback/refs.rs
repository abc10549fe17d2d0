//! Ref properties as paths: the write side of `snapshot::refs`.
//!
//! A path is made of the names the instances have on disk (file names with
//! their extension and `~N`, folder names, project node keys, then instance
//! names inside model files), from the root of the tree:
//!
//! | target | path |
//! |---|---|
//! | the source itself | `@self` |
//! | under the source | `@self/<rest>` |
//! | a sibling's subtree | `./<rest>` |
//! | k levels further up | `../` repeated k times, then `<rest>` |
//! | an ancestor, or in another top-level tree | `@game/<full path>` |

/// The path from `source` to `target`, each given as its segments from the
/// root (the root itself has no segments).
pub fn relative_path(source: &[&str], target: &[&str]) -> String {
    let common = source
        .iter()
        .zip(target)
        .take_while(|(a, b)| a == b)
        .count();
    if common == source.len() {
        if common == target.len() {
            return "@self".to_owned();
        }
        return format!("@self/{}", target[common..].join("/"));
    }
    if common == 0 || common == target.len() {
        if target.is_empty() {
            return "@game".to_owned();
        }
        return format!("@game/{}", target.join("/"));
    }
    let ups = source.len() - common;
    let rest = target[common..].join("/");
    if ups == 1 {
        format!("./{rest}")
    } else {
        format!("{}{rest}", "../".repeat(ups - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<&str> {
        s.split('/').filter(|x| !x.is_empty()).collect()
    }

    #[test]
    fn paths() {
        let cases = [
            (
                "Workspace/Folder/A.luau",
                "Workspace/Folder/Data~2",
                "./Data~2",
            ),
            (
                "Workspace/A/Script.server.luau",
                "Workspace/B/Part.model.json5",
                "../B/Part.model.json5",
            ),
            (
                "Workspace/A/B/Script.server.luau",
                "Workspace/C/Part.model.json5",
                "../../C/Part.model.json5",
            ),
            (
                "Workspace/Model",
                "Workspace/Model/Handle.model.json5",
                "@self/Handle.model.json5",
            ),
            ("Workspace/Model", "Workspace/Model", "@self"),
            (
                "Workspace/Model/Part",
                "Workspace/Model",
                "@game/Workspace/Model",
            ),
            (
                "Workspace/Part",
                "ReplicatedStorage/Thing",
                "@game/ReplicatedStorage/Thing",
            ),
            ("Workspace/Part", "", "@game"),
        ];
        for (source, target, expected) in cases {
            assert_eq!(
                relative_path(&p(source), &p(target)),
                expected,
                "{source} -> {target}"
            );
        }
    }
}
