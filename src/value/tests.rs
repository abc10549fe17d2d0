use rbx_dom_weak::types::{Color3, Color3uint8, Enum, Variant, Vector3};

use super::*;
use crate::json::parse;

fn prop(class: &str, property: &str, text: &str) -> Result<Variant, String> {
    resolve_property(class, property, &parse(text).unwrap())
}

#[test]
fn implicit_vector3_and_enum() {
    assert_eq!(
        prop("Part", "Size", "[1, 2, 3]").unwrap(),
        Variant::Vector3(Vector3::new(1.0, 2.0, 3.0))
    );
    assert_eq!(
        prop("Lighting", "Technology", "'Voxel'").unwrap(),
        Variant::Enum(Enum::from_u32(1))
    );
}

#[test]
fn implicit_color3_is_float_triplet() {
    assert_eq!(
        prop("Part", "Color", "[0.5, 0.25, 0]").unwrap(),
        Variant::Color3(Color3::new(0.5, 0.25, 0.0))
    );
}

#[test]
fn explicit_keeps_its_own_type_within_a_family() {
    assert_eq!(
        prop("Part", "Color", "{Color3uint8: [163, 162, 165]}").unwrap(),
        Variant::Color3uint8(Color3uint8::new(163, 162, 165))
    );
}

#[test]
fn explicit_of_another_family_is_rejected() {
    let err = prop("Part", "Size", "{Vector2: [1, 2]}").unwrap_err();
    assert!(err.contains("has type Vector3"), "{err}");
}

#[test]
fn wrong_shape_names_the_expected_shape() {
    let err = prop("Part", "Size", "'big'").unwrap_err();
    assert!(err.contains("[x, y, z]"), "{err}");
    let err = prop("Part", "Size", "[1, 2]").unwrap_err();
    assert!(err.contains("[x, y, z]"), "{err}");
}

#[test]
fn enum_numbers_need_explicit_form() {
    let err = prop("Lighting", "Technology", "1").unwrap_err();
    assert!(err.contains("{Enum: 1}"), "{err}");
    let err = prop("Lighting", "Technology", "'Shiny'").unwrap_err();
    assert!(err.contains("not an item of Enum.Technology"), "{err}");
}

#[test]
fn integers_are_checked() {
    assert_eq!(prop("IntValue", "Value", "65").unwrap(), Variant::Int64(65));
    assert!(prop("IntValue", "Value", "6.5").is_err());
    assert!(prop("Part", "CollisionGroupId", "3000000000").is_err());
}

#[test]
fn unknown_property_with_implicit_value_fails_but_explicit_passes() {
    assert!(prop("Part", "NotAProperty", "1").is_err());
    assert_eq!(
        prop("Part", "NotAProperty", "{Float32: 1}").unwrap(),
        Variant::Float32(1.0)
    );
}

#[test]
fn ref_properties_point_at_rojo_ref() {
    let err = prop("ObjectValue", "Value", "'Workspace/Part'").unwrap_err();
    assert!(err.contains("Rojo_Ref_Value"), "{err}");
}

#[test]
fn cframe_from_twelve_numbers() {
    let v = prop("Part", "CFrame", "[1, 2, 3, 0, 1, 0, 0, 0, 1, 1, 0, 0]").unwrap();
    let Variant::CFrame(cf) = v else {
        panic!("{v:?}")
    };
    assert_eq!(cf.position, Vector3::new(1.0, 2.0, 3.0));
    assert_eq!(cf.orientation.x, Vector3::new(0.0, 1.0, 0.0));
    assert_eq!(cf.orientation.z, Vector3::new(1.0, 0.0, 0.0));
}

#[test]
fn attributes_are_unambiguous_only() {
    assert_eq!(
        resolve_attribute(&parse("0.5").unwrap()).unwrap(),
        Variant::Float64(0.5)
    );
    assert!(resolve_attribute(&parse("[1, 2, 3]").unwrap()).is_err());
    assert_eq!(
        resolve_attribute(&parse("{Vector3: [1, 2, 3]}").unwrap()).unwrap(),
        Variant::Vector3(Vector3::new(1.0, 2.0, 3.0))
    );
}

#[test]
fn font_and_udim2_payloads() {
    let v = prop(
        "TextLabel",
        "FontFace",
        "{family: 'rbxasset://fonts/families/GothamSSm.json', weight: 'Bold', style: 'Normal'}",
    )
    .unwrap();
    assert!(matches!(v, Variant::Font(_)), "{v:?}");
    let v = prop("Frame", "Size", "[[1, 0], [0.5, 10]]").unwrap();
    assert!(matches!(v, Variant::UDim2(_)), "{v:?}");
}

/// Every value type rbx_dom_weak has (except Ref, which files write as a
/// `Rojo_Ref_*` attribute) can be written explicitly.
#[test]
fn every_variant_type_has_an_explicit_form() {
    let cases: &[(&str, &str)] = &[
        ("Axes", "['X', 'Y']"),
        ("BinaryString", "'aGk='"),
        ("Bool", "true"),
        ("BrickColor", "1"),
        ("CFrame", "{position: [1, 2, 3], orientation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}"),
        ("Color3", "[1, 0, 0]"),
        ("Color3uint8", "[255, 0, 0]"),
        ("ColorSequence", "{keypoints: [{time: 0, color: [1, 1, 1]}, {time: 1, color: [0, 0, 0]}]}"),
        ("ContentId", "'rbxassetid://1'"),
        ("Enum", "3"),
        ("Faces", "['Top']"),
        ("Float32", "0.5"),
        ("Float64", "0.1"),
        ("Int32", "-5"),
        ("Int64", "9007199254740993"),
        ("NumberRange", "[1, 2]"),
        ("NumberSequence", "{keypoints: [{time: 0, value: 1, envelope: 0}, {time: 1, value: 0, envelope: 0}]}"),
        ("PhysicalProperties", "'Default'"),
        ("Ray", "{origin: [0, 0, 0], direction: [0, 0, 1]}"),
        ("Rect", "[[0, 0], [1, 1]]"),
        ("Region3", "[[0, 0, 0], [1, 1, 1]]"),
        ("Region3int16", "[[0, 0, 0], [1, 1, 1]]"),
        ("SharedString", "'aGVsbG8='"),
        ("String", "'text'"),
        ("UDim", "[0.5, 4]"),
        ("UDim2", "[[0.5, 4], [1, -4]]"),
        ("Vector2", "[1, 2]"),
        ("Vector2int16", "[1, 2]"),
        ("Vector3", "[1, 2, 3]"),
        ("Vector3int16", "[1, 2, 3]"),
        ("OptionalCFrame", "null"),
        ("Tags", "['a', 'b']"),
        ("Attributes", "{Speed: {Float64: 1}}"),
        ("Font", "{family: 'rbxasset://fonts/families/SourceSansPro.json', weight: 'Regular', style: 'Normal'}"),
        ("UniqueId", "'00000000000000030000000200000001'"),
        ("MaterialColors", "{Grass: [1, 2, 3]}"),
        ("SecurityCapabilities", "5"),
        ("EnumItem", "{type: 'Material', value: 256}"),
        ("Content", "{Uri: 'rbxassetid://1'}"),
        ("NetAssetRef", "'aGVsbG8='"),
    ];
    for (ty, payload) in cases {
        let value = parse(&format!("{{{ty}: {payload}}}")).unwrap();
        let variant = explicit_value(&value)
            .unwrap_or_else(|| panic!("{ty} was not seen as explicit"))
            .unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert_eq!(format!("{:?}", variant.ty()), *ty);
    }
    let err = explicit_value(&parse("{Ref: 'x'}").unwrap())
        .unwrap()
        .unwrap_err();
    assert!(err.contains("Rojo_Ref_"), "{err}");
}

mod write_then_read {
    use rbx_dom_weak::types::*;

    use super::super::*;

    fn check_property(class: &str, property: &str, value: Variant) {
        let written = property_to_json(class, property, &value);
        let text = crate::json::to_string(&written);
        let reparsed = crate::json::parse(&text).unwrap();
        let read = resolve_property(class, property, &reparsed)
            .unwrap_or_else(|e| panic!("{class}.{property} = {value:?} written as {text}: {e}"));
        assert_eq!(
            format!("{read:?}"),
            format!("{value:?}"),
            "{class}.{property} written as {text}"
        );
    }

    fn cframe(seed: f32) -> CFrame {
        CFrame::new(
            Vector3::new(seed, -seed * 3.3, 1e-30),
            Matrix3::new(
                Vector3::new(0.70710677, -0.70710677, 0.0),
                Vector3::new(0.70710677, 0.70710677, -0.0),
                Vector3::new(0.0, 0.0, 1.0),
            ),
        )
    }

    #[test]
    fn properties_come_back_exactly() {
        let cases: Vec<(&str, &str, Variant)> = vec![
            ("Part", "Size", Vector3::new(0.1, -0.0, 1e-38).into()),
            ("Part", "Transparency", Variant::Float32(0.1)),
            ("Part", "Transparency", Variant::Float32(f32::MIN_POSITIVE)),
            ("Part", "CFrame", cframe(801.7156).into()),
            ("Part", "Color", Color3uint8::new(163, 162, 165).into()),
            ("Part", "Color", Color3::new(0.1, 0.2, 0.3).into()),
            ("Part", "Material", Variant::Enum(Enum::from_u32(256))),
            ("Part", "Material", Variant::Enum(Enum::from_u32(99_999))),
            ("Lighting", "Technology", Variant::Enum(Enum::from_u32(1))),
            ("NumberValue", "Value", Variant::Float64(0.1)),
            ("NumberValue", "Value", Variant::Float64(-0.0)),
            ("NumberValue", "Value", Variant::Float64(f64::INFINITY)),
            ("IntValue", "Value", Variant::Int64(i64::MIN)),
            ("IntValue", "Value", Variant::Int64(i64::MAX)),
            ("Part", "CollisionGroupId", Variant::Int32(-5)),
            (
                "StringValue",
                "Value",
                Variant::String("line\nwith \"quotes\" and \u{0}".into()),
            ),
            ("Decal", "Texture", ContentId::from("").into()),
            ("Decal", "TextureContent", Content::none().into()),
            (
                "Decal",
                "TextureContent",
                Content::from_uri("rbxassetid://1").into(),
            ),
            ("Decal", "TextureContent", Content::from_uri("").into()),
            (
                "Part",
                "Tags",
                Tags::from(vec!["a".to_owned(), "b c".to_owned()]).into(),
            ),
            (
                "TextLabel",
                "FontFace",
                Font::new(
                    "rbxasset://fonts/families/GothamSSm.json",
                    FontWeight::Bold,
                    FontStyle::Italic,
                )
                .into(),
            ),
            (
                "Frame",
                "Size",
                UDim2::new(UDim::new(0.5, -10), UDim::new(1.0, 3)).into(),
            ),
            (
                "ParticleEmitter",
                "Size",
                NumberSequence {
                    keypoints: vec![
                        NumberSequenceKeypoint::new(0.0, 0.1, 0.2),
                        NumberSequenceKeypoint::new(1.0, 0.3, 0.0),
                    ],
                }
                .into(),
            ),
            (
                "ParticleEmitter",
                "Color",
                ColorSequence {
                    keypoints: vec![
                        ColorSequenceKeypoint::new(0.0, Color3::new(0.1, 0.2, 0.3)),
                        ColorSequenceKeypoint::new(1.0, Color3::new(1.0, 1.0, 1.0)),
                    ],
                }
                .into(),
            ),
            (
                "ParticleEmitter",
                "Lifetime",
                NumberRange::new(0.1, 2.5).into(),
            ),
            (
                "Part",
                "CustomPhysicalProperties",
                PhysicalProperties::Default.into(),
            ),
            (
                "Part",
                "CustomPhysicalProperties",
                PhysicalProperties::Custom(CustomPhysicalProperties::new(
                    0.7, 0.3, 0.5, 1.0, 1.0, 1.0,
                ))
                .into(),
            ),
            (
                "Model",
                "WorldPivotData",
                Variant::OptionalCFrame(Some(cframe(2.5))),
            ),
            ("Model", "WorldPivotData", Variant::OptionalCFrame(None)),
            (
                "MeshPart",
                "PhysicalConfigData",
                SharedString::new(vec![0, 159, 146, 150]).into(),
            ),
            (
                "Terrain",
                "SmoothGrid",
                BinaryString::from(vec![0xff, 0x00, 0x80]).into(),
            ),
            (
                "Terrain",
                "PhysicsGrid",
                BinaryString::from(b"text".to_vec()).into(),
            ),
            ("Handles", "Faces", Faces::all().into()),
            ("ArcHandles", "Axes", Axes::all().into()),
            (
                "Part",
                "NotInTheDatabase",
                Vector3::new(1.0, 2.0, 3.0).into(),
            ),
            (
                "Part",
                "Capabilities",
                SecurityCapabilities::from_bits(5).into(),
            ),
            ("Script", "ScriptGuid", Variant::String("{1A2B}".into())),
            ("Part", "PivotOffset", cframe(-0.0).into()),
            (
                "Frame",
                "BackgroundColor3",
                Color3::new(f32::MIN_POSITIVE, 0.99999994, 1.0000001).into(),
            ),
            ("Part", "BrickColor", BrickColor::BrightRed.into()),
        ];
        for (class, property, value) in cases {
            check_property(class, property, value);
        }
    }

    #[test]
    fn attributes_come_back_exactly() {
        let values: Vec<Variant> = vec![
            Variant::String("text".into()),
            Variant::Float64(0.1),
            Variant::Bool(false),
            Variant::Float32(0.1),
            Variant::Int32(-3),
            Vector3::new(1.0, 2.0, 3.0).into(),
            Vector2::new(0.5, 0.25).into(),
            UDim2::new(UDim::new(0.5, 1), UDim::new(0.0, 2)).into(),
            Color3::new(0.1, 0.2, 0.3).into(),
            BrickColor::White.into(),
            NumberRange::new(1.0, 2.0).into(),
            Rect::new(Vector2::new(0.0, 0.0), Vector2::new(1.0, 1.0)).into(),
            cframe(3.0).into(),
            EnumItem {
                ty: "Material".into(),
                value: 256,
            }
            .into(),
            Font::default().into(),
            BinaryString::from(vec![0xff, 0xfe]).into(),
        ];
        for value in values {
            let text = crate::json::to_string(&attribute_to_json(&value));
            let read = resolve_attribute(&crate::json::parse(&text).unwrap()).unwrap();
            assert_eq!(
                format!("{read:?}"),
                format!("{value:?}"),
                "written as {text}"
            );
        }
        // Text stored as bytes comes back as a String, which files store the same way.
        let text = crate::json::to_string(&attribute_to_json(
            &BinaryString::from(b"abc".to_vec()).into(),
        ));
        assert_eq!(text, "\"abc\"\n");
    }

    #[test]
    fn implicit_forms_are_used_when_exact() {
        let json = |class: &str, property: &str, value: Variant| {
            crate::json::to_string(&property_to_json(class, property, &value))
                .trim_end()
                .to_owned()
        };
        assert_eq!(
            json("Part", "Size", Vector3::new(1.0, 2.0, 3.0).into()),
            "[ 1, 2, 3 ]"
        );
        assert_eq!(
            json("Part", "Material", Variant::Enum(Enum::from_u32(256))),
            "\"Plastic\""
        );
        assert_eq!(json("Part", "Transparency", Variant::Float32(0.1)), "0.1");
        assert_eq!(
            json("Part", "Color", Color3uint8::new(1, 2, 3).into()),
            "{\n  Color3uint8: [ 1, 2, 3 ]\n}"
        );
        assert_eq!(
            json(
                "Part",
                "CFrame",
                CFrame::new(Vector3::new(1.0, 2.0, 3.0), Matrix3::identity()).into()
            ),
            "[ 1, 2, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1 ]"
        );
    }
}
