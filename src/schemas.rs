//! The JSON schemas of the files Atlas reads (`schemas/` in the
//! repository), carried in the binary: `atlas schema project|meta|model`
//! prints them and `atlas init` writes them beside a new project, so an
//! editor checks and completes project, meta and model files. Tests check
//! each lists exactly the fields the parser accepts.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    Project,
    Meta,
    Model,
}

impl SchemaKind {
    pub const ALL: [SchemaKind; 3] = [SchemaKind::Project, SchemaKind::Meta, SchemaKind::Model];

    /// The schema's text (JSON, draft-07).
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Project => include_str!("../schemas/project.schema.json"),
            SchemaKind::Meta => include_str!("../schemas/meta.schema.json"),
            SchemaKind::Model => include_str!("../schemas/model.schema.json"),
        }
    }

    /// The schema's file name (`project.schema.json`).
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Project => "project.schema.json",
            SchemaKind::Meta => "meta.schema.json",
            SchemaKind::Model => "model.schema.json",
        }
    }
}
