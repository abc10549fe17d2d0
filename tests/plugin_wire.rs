//! The plugin's msgpack codec and value forms against the server's own
//! encoder (rmp-serde through `web::wire`): every value type the server can
//! send is decoded by the plugin into a Roblox value, encoded back, and must
//! come out byte for byte as the server wrote it. Types a plugin cannot set
//! must be refused with a reason, never dropped silently.

mod plugin_harness;

use atlas::web::wire::to_msgpack;
use mlua::prelude::*;
use plugin_harness::Harness;
use rbx_dom_weak::types::*;

fn cframe() -> CFrame {
    // A quarter turn about Z: rows (0, -1, 0), (1, 0, 0), (0, 0, 1).
    CFrame::new(
        Vector3::new(1.5, -2.0, 0.1),
        Matrix3::new(
            Vector3::new(0.0, -1.0, 0.0),
            Vector3::new(1.0, 0.0, 0.0),
            Vector3::new(0.0, 0.0, 1.0),
        ),
    )
}

fn attributes() -> Attributes {
    let mut attributes = Attributes::new();
    for (key, value) in [
        ("a-string", Variant::String("hi".into())),
        ("b-bool", Variant::Bool(false)),
        ("c-number", Variant::Float64(0.1)),
        ("d-vector", Variant::Vector3(Vector3::new(1.0, 2.0, 3.0))),
        ("e-color", Variant::Color3(Color3::new(0.25, 0.5, 1.0))),
        (
            "f-udim2",
            Variant::UDim2(UDim2::new(UDim::new(0.5, 1), UDim::new(0.0, -2))),
        ),
        ("g-cframe", Variant::CFrame(cframe())),
        ("h-brick", Variant::BrickColor(BrickColor::BrightRed)),
        ("i-range", Variant::NumberRange(NumberRange::new(1.0, 2.0))),
        (
            "j-rect",
            Variant::Rect(Rect::new(Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0))),
        ),
        ("k-font", Variant::Font(Font::default())),
        (
            "l-enum",
            Variant::EnumItem(EnumItem {
                ty: "Material".into(),
                value: 256,
            }),
        ),
        ("m-vector2", Variant::Vector2(Vector2::new(-1.0, 0.5))),
    ] {
        attributes.insert(key.to_owned(), value);
    }
    attributes
}

/// Every value type the server sends that a plugin can set, with the
/// property hint an `Enum` needs.
fn settable() -> Vec<(&'static str, Variant)> {
    vec![
        ("Axes", Variant::Axes(Axes::from_bits(0b101).unwrap())),
        (
            "BinaryString",
            Variant::BinaryString(b"bytes\0\xff".to_vec().into()),
        ),
        ("Bool", Variant::Bool(true)),
        ("BrickColor", Variant::BrickColor(BrickColor::ReallyBlack)),
        ("CFrame", Variant::CFrame(cframe())),
        ("Color3", Variant::Color3(Color3::new(0.1, 0.2, 0.3))),
        (
            "Color3uint8",
            Variant::Color3uint8(Color3uint8::new(1, 128, 255)),
        ),
        (
            "ColorSequence",
            Variant::ColorSequence(ColorSequence {
                keypoints: vec![
                    ColorSequenceKeypoint::new(0.0, Color3::new(1.0, 0.0, 0.0)),
                    ColorSequenceKeypoint::new(1.0, Color3::new(0.0, 0.0, 1.0)),
                ],
            }),
        ),
        ("Content", Variant::Content(Content::none())),
        (
            "Content",
            Variant::Content(Content::from("rbxassetid://12345")),
        ),
        (
            "ContentId",
            Variant::ContentId(ContentId::from("rbxasset://textures/x.png")),
        ),
        ("Enum", Variant::Enum(Enum::from_u32(1088))),
        (
            "EnumItem",
            Variant::EnumItem(EnumItem {
                ty: "Material".into(),
                value: 1312,
            }),
        ),
        ("Faces", Variant::Faces(Faces::from_bits(0b101001).unwrap())),
        ("Float32", Variant::Float32(0.1)),
        ("Float32", Variant::Float32(f32::MAX)),
        ("Float64", Variant::Float64(0.1)),
        ("Float64", Variant::Float64(-1e300)),
        ("Int32", Variant::Int32(-123456)),
        ("Int64", Variant::Int64(1 << 40)),
        ("Font", Variant::Font(Font::default())),
        (
            "NumberRange",
            Variant::NumberRange(NumberRange::new(-1.0, 2.5)),
        ),
        (
            "NumberSequence",
            Variant::NumberSequence(NumberSequence {
                keypoints: vec![
                    NumberSequenceKeypoint::new(0.0, 1.0, 0.0),
                    NumberSequenceKeypoint::new(1.0, 0.5, 0.25),
                ],
            }),
        ),
        ("OptionalCFrame", Variant::OptionalCFrame(None)),
        ("OptionalCFrame", Variant::OptionalCFrame(Some(cframe()))),
        (
            "PhysicalProperties",
            Variant::PhysicalProperties(PhysicalProperties::Default),
        ),
        (
            "PhysicalProperties",
            Variant::PhysicalProperties(PhysicalProperties::Custom(CustomPhysicalProperties::new(
                0.5, 0.25, 0.75, 1.0, 2.0, 1.0,
            ))),
        ),
        (
            "Ray",
            Variant::Ray(Ray::new(
                Vector3::new(1.0, 2.0, 3.0),
                Vector3::new(0.0, -1.0, 0.0),
            )),
        ),
        (
            "Rect",
            Variant::Rect(Rect::new(Vector2::new(0.0, 1.0), Vector2::new(10.0, 20.5))),
        ),
        (
            "Region3",
            Variant::Region3(Region3::new(
                Vector3::new(1.0, 2.0, 3.0),
                Vector3::new(4.0, 6.0, 8.0),
            )),
        ),
        (
            "Region3int16",
            Variant::Region3int16(Region3int16::new(
                Vector3int16::new(-1, 2, -3),
                Vector3int16::new(4, 5, 6),
            )),
        ),
        ("String", Variant::String("line\nnext \u{1F600}".into())),
        ("String", Variant::String(String::new())),
        (
            "Tags",
            Variant::Tags(Tags::from(vec!["one".to_owned(), "two".to_owned()])),
        ),
        ("Tags", Variant::Tags(Tags::default())),
        ("UDim", Variant::UDim(UDim::new(0.5, -7))),
        (
            "UDim2",
            Variant::UDim2(UDim2::new(UDim::new(1.0, 0), UDim::new(0.25, 40))),
        ),
        ("Vector2", Variant::Vector2(Vector2::new(0.1, -0.2))),
        (
            "Vector2int16",
            Variant::Vector2int16(Vector2int16::new(-5, 6)),
        ),
        ("Vector3", Variant::Vector3(Vector3::new(1e-3, 2e10, -3.5))),
        (
            "Vector3int16",
            Variant::Vector3int16(Vector3int16::new(1, -2, 32767)),
        ),
        ("Attributes", Variant::Attributes(attributes())),
        ("Attributes", Variant::Attributes(Attributes::new())),
    ]
}

const ROUND_TRIP: &str = r#"
local Msgpack = require(harness.root.Msgpack)
local Decode = require(harness.root.Values.Decode)
local Encode = require(harness.root.Values.Encode)
return function(bytes, typeName)
    local encoded = Msgpack.decode(bytes)
    local ok, value = Decode.value(encoded, Enum.Material.Plastic)
    if not ok then
        return false, "decode: " .. tostring(value)
    end
    local ok2, again = Encode.value(value, typeName)
    if not ok2 then
        return false, "encode: " .. tostring(again)
    end
    return true, buffer.tostring(Msgpack.encode(again))
end
"#;

#[test]
fn every_settable_value_comes_back_byte_for_byte() {
    let harness = Harness::new();
    let round_trip: LuaFunction = harness.eval(ROUND_TRIP).unwrap();
    let mut failures = Vec::new();
    for (type_name, value) in settable() {
        let bytes = to_msgpack(&value).unwrap();
        let (ok, result): (bool, LuaString) = round_trip
            .call((harness.lua.create_string(&bytes).unwrap(), type_name))
            .unwrap_or_else(|e| panic!("{type_name}: {e}"));
        if !ok {
            failures.push(format!("{value:?}: {}", result.to_string_lossy()));
        } else if result.as_bytes().as_ref() != bytes.as_slice() {
            failures.push(format!(
                "{value:?}:\n  server {bytes:02x?}\n  plugin {:02x?}",
                result.as_bytes().as_ref()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cframes_mean_what_they_mean_in_roblox() {
    let harness = Harness::new();
    let check: LuaFunction = harness
        .eval(
            r#"
            local Msgpack = require(harness.root.Msgpack)
            local Decode = require(harness.root.Values.Decode)
            return function(bytes)
                local _, cf = Decode.value(Msgpack.decode(bytes))
                -- RightVector is the rotation's first column, UpVector its second.
                return cf.RightVector == Vector3.new(0, 1, 0) and cf.UpVector == Vector3.new(-1, 0, 0)
                    and cf.Position == Vector3.new(1.5, -2, 0.10000000149011612)
            end
            "#,
        )
        .unwrap();
    let bytes = to_msgpack(&Variant::CFrame(cframe())).unwrap();
    let right: bool = check
        .call(harness.lua.create_string(&bytes).unwrap())
        .unwrap();
    assert!(right, "the orientation rows were read as columns");
}

#[test]
fn values_a_plugin_cannot_set_are_refused_with_a_reason() {
    let harness = Harness::new();
    let decode: LuaFunction = harness
        .eval(
            r#"
            local Msgpack = require(harness.root.Msgpack)
            local Decode = require(harness.root.Values.Decode)
            return function(bytes)
                local ok, reason = Decode.value(Msgpack.decode(bytes))
                return ok, tostring(reason)
            end
            "#,
        )
        .unwrap();
    for value in [
        Variant::SecurityCapabilities(SecurityCapabilities::from_bits(7)),
        Variant::UniqueId(UniqueId::new(1, 2, 3)),
        Variant::NetAssetRef(NetAssetRef::new(vec![1, 2, 3])),
    ] {
        let bytes = to_msgpack(&value).unwrap();
        let (ok, reason): (bool, String) = decode
            .call(harness.lua.create_string(&bytes).unwrap())
            .unwrap();
        assert!(!ok, "{value:?} was accepted");
        assert!(
            reason.contains("cannot be set from a plugin"),
            "{value:?}: {reason}"
        );
    }
}

#[test]
fn material_colors_decode_to_one_color_per_material() {
    let harness = Harness::new();
    let mut colors = MaterialColors::new();
    colors.set_color(TerrainMaterials::Grass, Color3uint8::new(10, 20, 30));
    let bytes = to_msgpack(&Variant::MaterialColors(colors)).unwrap();
    let check: LuaFunction = harness
        .eval(
            r#"
            local Msgpack = require(harness.root.Msgpack)
            local Decode = require(harness.root.Values.Decode)
            return function(bytes)
                local ok, colors = Decode.value(Msgpack.decode(bytes))
                return ok and colors.Grass == Color3.fromRGB(10, 20, 30)
            end
            "#,
        )
        .unwrap();
    assert!(check
        .call::<bool>(harness.lua.create_string(&bytes).unwrap())
        .unwrap());
}
