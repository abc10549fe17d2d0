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
