//! Generated places: random trees with hostile names, duplicate and
//! case-variant siblings, every script kind, random values for real
//! properties of every type, attributes of every type, tags and references.
//! Syncback into an empty place project, read the files back, compare
//! exactly. `ATLAS_GENERATED_CASES=N` runs more cases; `ATLAS_GENERATED_SEED`
//! picks the first seed.

mod common;

use atlas::syncback::{SyncbackOptions, VISIBLE_SERVICES};
use common::compare::{compare, CompareOptions};
use common::rng::Rng;
use common::roundtrip::{syncback_into, trim_to_synced};
use rbx_dom_weak::types::*;
use rbx_dom_weak::{InstanceBuilder, Ustr, WeakDom};
use rbx_reflection::{DataType, PropertyKind, PropertySerialization};

/// The case generator's own draws, on top of the shared ones.
impl Rng {
    fn f32(&mut self) -> f32 {
        match self.below(8) {
            0 => 0.0,
            1 => -0.0,
            2 => 1.0,
            3 => f32::from_bits(self.next() as u32 & 0x7f7f_ffff), // any finite positive
            4 => -(self.below(1000) as f32) / 7.0,
            5 => 1e-30 * self.below(100) as f32,
            6 => f32::EPSILON / 2.0,
            _ => (self.next() % 100_000) as f32 / 13.0,
        }
    }
    fn f64(&mut self) -> f64 {
        match self.below(4) {
            0 => f64::from_bits(self.next() & 0x7fef_ffff_ffff_ffff),
            1 => -0.0,
            2 => 0.1,
            _ => (self.next() % 1_000_000) as f64 / 3.0,
        }
    }
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "B", " ", "/", "\\", ":", "*", "?", "\"", "<", ">", "|", "~", ".", "..", "\n",
            "\r\n", "\t", "'", "é", "日本", "\u{0}", "\u{7f}", "\u{2028}", "CON", "init", "~2",
            "{", "}", "$",
        ];
        let len = self.below(6);
        (0..len).map(|_| *self.pick(PIECES)).collect()
    }
    fn name(&mut self) -> String {
        match self.below(12) {
            0 => String::new(),
            1 => "x".repeat(300),
            2 => "Part".to_owned(),
            3 => "part".to_owned(),
            4 => "Foo~2".to_owned(),
            5 => "init".to_owned(),
            6 => "a.server".to_owned(),
            7 => "../up".to_owned(),
            _ => self.string(),
        }
    }
    fn vector3(&mut self) -> Vector3 {
        Vector3::new(self.f32(), self.f32(), self.f32())
    }
    fn cframe(&mut self) -> CFrame {
        let near = |r: &mut Rng, v: f32| if r.chance(20) { v + 1e-9 } else { r.f32() };
        CFrame::new(
            self.vector3(),
            Matrix3::new(
                Vector3::new(near(self, 1.0), near(self, 0.0), self.f32()),
                self.vector3(),
                self.vector3(),
            ),
        )
    }
}

const CLASSES: &[&str] = &[
    "Folder",
    "Model",
    "Part",
    "Script",
    "LocalScript",
    "ModuleScript",
    "StringValue",
    "LocalizationTable",
    "Configuration",
    "ObjectValue",
    "IntValue",
    "NumberValue",
    "Tool",
    "ScreenGui",
    "TextLabel",
    "Frame",
    "ParticleEmitter",
    "Decal",
    "Attachment",
    "WeldConstraint",
    "Sound",
    "MeshPart",
    "Handles",
    "ArcHandles",
];

/// A random value of `ty`, or `None` for types this generator leaves out.
fn value(rng: &mut Rng, data_type: &DataType) -> Option<Variant> {
    let ty = match data_type {
        DataType::Enum(name) => {
            let mut items: Vec<u32> = atlas::reflection::database()
                .enums
                .get(name)?
                .items
                .values()
                .copied()
                .collect();
            items.sort_unstable(); // the database's maps have no stable order
            let v = if items.is_empty() || rng.chance(10) {
                9999
            } else {
                *rng.pick(&items)
            };
            return Some(Variant::Enum(Enum::from_u32(v)));
        }
        DataType::Value(ty) => *ty,
        _ => return None,
    };
    Some(match ty {
        VariantType::Bool => Variant::Bool(rng.chance(50)),
        VariantType::Int32 => Variant::Int32(rng.next() as i32),
        VariantType::Int64 => Variant::Int64(rng.next() as i64),
        VariantType::Float32 => Variant::Float32(rng.f32()),
        VariantType::Float64 => Variant::Float64(rng.f64()),
        VariantType::String => Variant::String(rng.string()),
        VariantType::Vector2 => Vector2::new(rng.f32(), rng.f32()).into(),
        VariantType::Vector3 => rng.vector3().into(),
        VariantType::Color3 => Color3::new(rng.f32(), rng.f32(), rng.f32()).into(),
        VariantType::CFrame => rng.cframe().into(),
        VariantType::OptionalCFrame => {
            Variant::OptionalCFrame(rng.chance(70).then(|| rng.cframe()))
        }
        VariantType::UDim => UDim::new(rng.f32(), rng.next() as i32).into(),
        VariantType::UDim2 => UDim2::new(
            UDim::new(rng.f32(), rng.next() as i32),
            UDim::new(rng.f32(), 3),
        )
        .into(),
        VariantType::Rect => {
            Rect::new(Vector2::new(rng.f32(), 0.0), Vector2::new(1.0, rng.f32())).into()
        }
        VariantType::NumberRange => NumberRange::new(rng.f32(), rng.f32()).into(),
        VariantType::NumberSequence => NumberSequence {
            keypoints: vec![
                NumberSequenceKeypoint::new(0.0, rng.f32(), rng.f32()),
                NumberSequenceKeypoint::new(1.0, rng.f32(), 0.0),
            ],
        }
        .into(),
        VariantType::ColorSequence => ColorSequence {
            keypoints: vec![
                ColorSequenceKeypoint::new(0.0, Color3::new(rng.f32(), 0.5, 0.25)),
                ColorSequenceKeypoint::new(1.0, Color3::new(0.0, rng.f32(), 1.0)),
            ],
        }
        .into(),
        VariantType::BrickColor => {
            BrickColor::from_number(*rng.pick(&[1u16, 21, 23, 194, 1004]))?.into()
        }
        VariantType::Color3uint8 => {
            Color3uint8::new(rng.next() as u8, rng.next() as u8, rng.next() as u8).into()
        }
        VariantType::Vector3int16 => Vector3int16::new(rng.next() as i16, 2, -3).into(),
        VariantType::Vector2int16 => Vector2int16::new(rng.next() as i16, 7).into(),
        VariantType::Faces => Faces::from_bits(rng.next() as u8 & 0x3f)?.into(),
        VariantType::Axes => Axes::from_bits(rng.next() as u8 & 0x7)?.into(),
        VariantType::Font => Font::new(&rng.string(), FontWeight::Bold, FontStyle::Italic).into(),
        VariantType::PhysicalProperties => {
            if rng.chance(50) {
                PhysicalProperties::Default.into()
            } else {
                PhysicalProperties::Custom(CustomPhysicalProperties::new(
                    rng.f32(),
                    0.3,
                    0.5,
                    1.0,
                    2.0,
                    1.0,
                ))
                .into()
            }
        }
        VariantType::Content => match rng.below(3) {
            0 => Content::none().into(),
            1 => Content::from_uri("rbxassetid://5").into(),
            _ => Content::from_uri(rng.string()).into(),
        },
        VariantType::ContentId => ContentId::from(rng.string()).into(),
        VariantType::BinaryString => {
            let bytes: Vec<u8> = (0..rng.below(20)).map(|_| rng.next() as u8).collect();
            BinaryString::from(bytes).into()
        }
        VariantType::SharedString => {
            SharedString::new((0..rng.below(40)).map(|_| rng.next() as u8).collect()).into()
        }
        VariantType::Tags => {
            Tags::from((0..rng.below(3)).map(|_| rng.string()).collect::<Vec<_>>()).into()
        }
        VariantType::SecurityCapabilities => {
            SecurityCapabilities::from_bits(rng.next() % 1024).into()
        }
        VariantType::Ray => Ray::new(rng.vector3(), rng.vector3()).into(),
        _ => return None,
    })
}

fn attribute(rng: &mut Rng) -> Variant {
    match rng.below(14) {
        0 => Variant::String(rng.string()),
        1 => Variant::Float64(rng.f64()),
        2 => Variant::Bool(rng.chance(50)),
        3 => Variant::Float32(rng.f32()),
        4 => Variant::Int32(rng.next() as i32),
        5 => rng.vector3().into(),
        6 => Vector2::new(rng.f32(), 1.0).into(),
        7 => UDim2::new(UDim::new(rng.f32(), 1), UDim::new(0.0, 2)).into(),
        8 => Color3::new(rng.f32(), 0.0, 1.0).into(),
        9 => BrickColor::White.into(),
        10 => NumberRange::new(rng.f32(), 2.0).into(),
        11 => rng.cframe().into(),
        12 => EnumItem {
            ty: "Material".into(),
            value: 256,
        }
        .into(),
        _ => BinaryString::from(vec![0xff, rng.next() as u8]).into(),
    }
}

/// Writable, serializing properties of a class (and its superclasses).
fn candidate_properties(class: &str) -> Vec<(&'static str, &'static DataType<'static>)> {
    let db = atlas::reflection::database();
    let descriptor = db.classes.get(class).unwrap();
    db.superclasses_iter(descriptor)
        .flat_map(|c| c.properties.values())
        .filter(|p| {
            matches!(
                &p.kind,
                PropertyKind::Canonical {
                    serialization: PropertySerialization::Serializes
                }
            ) && p.name != "Name"
                && p.name != "Parent"
                && p.name != "Attributes"
        })
        .map(|p| (p.name, &p.data_type))
        .collect::<std::collections::BTreeMap<_, _>>() // stable order, nearest class wins
        .into_iter()
        .collect()
}

fn instance(rng: &mut Rng, depth: usize) -> InstanceBuilder {
    let class = *rng.pick(CLASSES);
    let mut builder = InstanceBuilder::new(class).with_name(rng.name());
    let candidates = candidate_properties(class);
    for _ in 0..rng.below(6) {
        let (name, data_type) = *rng.pick(&candidates);
        if let Some(v) = value(rng, data_type) {
            builder.add_property(name, v);
        }
    }
    if class == "Script" {
        let context = rng.below(5) as u32; // 4 is not a RunContext item
        builder.add_property("RunContext", Variant::Enum(Enum::from_u32(context)));
    }
    if matches!(class, "Script" | "LocalScript" | "ModuleScript") {
        builder.add_property("Source", Variant::String(rng.string()));
    }
    if rng.chance(30) {
        let mut attributes = Attributes::new();
        for _ in 0..rng.below(4) {
            attributes.insert(rng.string().replace(['\0', '\n'], ""), attribute(rng));
        }
        builder.add_property("Attributes", Variant::Attributes(attributes));
    }
    if depth < 4 {
        for _ in 0..rng.below(5) {
            builder.add_child(instance(rng, depth + 1));
        }
        if rng.chance(15) {
            // An exact duplicate sibling.
            let twin = InstanceBuilder::new("Folder").with_name("Twin");
            builder.add_child(twin);
            builder.add_child(InstanceBuilder::new("Folder").with_name("Twin"));
        }
    }
    builder
}

fn place(seed: u64) -> WeakDom {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut dom = WeakDom::new(InstanceBuilder::new("DataModel"));
    let root = dom.root_ref();
    for service in VISIBLE_SERVICES {
        if rng.chance(80) {
            let mut builder = InstanceBuilder::new(service).with_name(service);
            for _ in 0..rng.below(4) {
                builder.add_child(instance(&mut rng, 1));
            }
            dom.insert(root, builder);
        }
    }
    // References: to siblings, across services, to duplicates, and nil.
    let all: Vec<Ref> = dom
        .descendants()
        .map(|i| i.referent())
        .filter(|r| *r != root)
        .collect();
    let ref_props: &[(&str, &str)] = &[
        ("ObjectValue", "Value"),
        ("Model", "PrimaryPart"),
        ("WeldConstraint", "Part0"),
    ];
    for r in &all {
        let class = dom.get_by_ref(*r).unwrap().class;
        if let Some((_, prop)) = ref_props.iter().find(|(c, _)| *c == class) {
            let target = if rng.chance(15) {
                Ref::none()
            } else {
                *rng.pick(&all)
            };
            dom.get_by_ref_mut(*r)
                .unwrap()
                .properties
                .insert(Ustr::from(prop), Variant::Ref(target));
        }
    }
    dom
}

fn check(seed: u64) {
    let temp = common::temp_dir();
    std::fs::write(
        temp.path().join("default.project.json5"),
        "{ name: 'Generated', tree: { $className: 'DataModel', $path: 'src' } }",
    )
    .unwrap();
    let original = place(seed);
    let (_, _warnings) = syncback_into(temp.path(), place(seed), SyncbackOptions::default());
    let file = atlas::project::Project::locate(temp.path()).unwrap();
    let loaded = atlas::build::load_tree(&atlas::vfs::StdVfs, &file)
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    assert!(
        loaded.ref_warnings.is_empty(),
        "seed {seed}: {:?}",
        loaded.ref_warnings
    );
    let options = CompareOptions {
        ignore_unique_ids: true,
        positional_siblings: true,
        compare_root_names: false,
        ..CompareOptions::exact()
    };
    let mut rebuilt = loaded.tree.into_dom();
    let mut original = original;
    trim_to_synced(&mut original, &mut rebuilt);
    let comparison = compare(
        &original,
        original.root_ref(),
        &rebuilt,
        rebuilt.root_ref(),
        &options,
    );
    assert!(
        comparison.is_equal(),
        "seed {seed}: {}",
        comparison.report(20)
    );
    let (again, _) = syncback_into(temp.path(), place(seed), SyncbackOptions::default());
    assert!(
        again.is_empty(),
        "seed {seed}: second syncback changed {again:?}"
    );
}

#[test]
fn generated_places_round_trip() {
    let cases: u64 = std::env::var("ATLAS_GENERATED_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let first: u64 = std::env::var("ATLAS_GENERATED_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for seed in first..first + cases {
        check(seed);
    }
}
