//! A new value written over an existing document, keeping the document's
//! spelling where the values agree.
//!
//! Used when a hand-written file must change: keys keep their order and
//! case (`ClassName` stays `ClassName`, `TextureId` stays `TextureId`),
//! values that did not change are kept as they were read, and keys the writer never produces (`$schema`, `ignoreUnknownInstances`)
//! stay at the top level of the document and of every `children` element.

use super::JsonValue;

/// `new` over `old`. At the document's top level (and in each element of
/// its `children`), a key `new` lacks stays when `keep_missing` says so;
/// deeper, `new` decides which keys exist.
pub fn merge_document(
    old: &JsonValue,
    new: &JsonValue,
    keep_missing: &dyn Fn(&str) -> bool,
) -> JsonValue {
    merge(old, new, Some(keep_missing))
}

fn merge(old: &JsonValue, new: &JsonValue, top: Option<&dyn Fn(&str) -> bool>) -> JsonValue {
    match (old, new) {
        (JsonValue::Object(old_entries), JsonValue::Object(new_entries)) => {
            let mut used = vec![false; new_entries.len()];
            let mut out = Vec::with_capacity(new_entries.len());
            for (old_key, old_value) in old_entries {
                let found = new_entries
                    .iter()
                    .enumerate()
                    .find(|(i, (k, _))| !used[*i] && k == old_key)
                    .or_else(|| {
                        new_entries
                            .iter()
                            .enumerate()
                            .find(|(i, (k, _))| !used[*i] && k.eq_ignore_ascii_case(old_key))
                    });
                match found {
                    Some((i, (_, new_value))) => {
                        used[i] = true;
                        let children = top.is_some() && old_key.eq_ignore_ascii_case("children");
                        let value = match (children, old_value, new_value) {
                            (true, JsonValue::Array(a), JsonValue::Array(b)) => JsonValue::Array(
                                b.iter()
                                    .enumerate()
                                    .map(|(i, item)| match a.get(i) {
                                        Some(old_item) => merge(old_item, item, top),
                                        None => item.clone(),
                                    })
                                    .collect(),
                            ),
                            _ => merge(old_value, new_value, None),
                        };
                        out.push((old_key.clone(), value));
                    }
                    None if top.is_some_and(|keep| keep(old_key)) => {
                        out.push((old_key.clone(), old_value.clone()));
                    }
                    None => {}
                }
            }
            let mut added: Vec<&(String, JsonValue)> = new_entries
                .iter()
                .enumerate()
                .filter(|(i, _)| !used[*i])
                .map(|(_, entry)| entry)
                .collect();
            added.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            // New keys go where sorted order puts them when the document's
            // keys are sorted (as Atlas writes them), so a file that lost a
            // key and gets it back reads as it did; else after the others.
            let sorted = out
                .windows(2)
                .all(|w| w[0].0.as_bytes() <= w[1].0.as_bytes());
            out.extend(added.into_iter().cloned());
            if sorted {
                out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            }
            JsonValue::Object(out)
        }
        (JsonValue::Array(a), JsonValue::Array(b)) if a.len() == b.len() => JsonValue::Array(
            a.iter()
                .zip(b)
                .map(|(old_item, new_item)| merge(old_item, new_item, None))
                .collect(),
        ),
        (JsonValue::Number(a), JsonValue::Number(b))
            if a.as_f64().to_bits() == b.as_f64().to_bits() =>
        {
            old.clone()
        }
        _ => new.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, to_string_formatted, Format, Style};

    fn merged(old: &str, new: &str) -> String {
        let value = merge_document(&parse(old).unwrap(), &parse(new).unwrap(), &|k| {
            k == "ignoreUnknownInstances"
        });
        to_string_formatted(&value, &Format::detect(old, Style::Json))
    }

    #[test]
    fn spelling_order_and_indentation_stay() {
        let old = "{\n\t\"ClassName\": \"Part\",\n\t\"Properties\": {\n\t\t\"TextureId\": \"a\",\n\t\t\"Size\": [2.0, 1, 2]\n\t}\n}\n";
        let new =
            r#"{ "className": "Part", "properties": { "Size": [2, 1, 3], "TextureID": "b" } }"#;
        assert_eq!(
            merged(old, new),
            "{\n\t\"ClassName\": \"Part\",\n\t\"Properties\": {\n\t\t\"TextureId\": \"b\",\n\t\t\"Size\": [2, 1, 3]\n\t}\n}\n"
        );
    }

    #[test]
    fn keys_the_writer_never_writes_stay_only_at_the_top() {
        let old = r#"{ "ignoreUnknownInstances": true, "properties": { "A": 1, "B": 2 } }"#;
        let new = r#"{ "properties": { "A": 1 }, "attributes": { "X": 1 } }"#;
        assert_eq!(
            merged(old, new),
            "{\n  \"attributes\": {\n    \"X\": 1\n  },\n  \"ignoreUnknownInstances\": true,\n  \"properties\": {\n    \"A\": 1\n  }\n}"
        );
    }

    #[test]
    fn new_keys_go_after_the_others_in_a_hand_ordered_document() {
        let old = r#"{ "properties": { "A": 1 }, "className": "Part" }"#;
        let new = r#"{ "className": "Part", "properties": { "A": 1 }, "attributes": { "X": 1 } }"#;
        assert_eq!(
            merged(old, new),
            "{\n  \"properties\": {\n    \"A\": 1\n  },\n  \"className\": \"Part\",\n  \"attributes\": {\n    \"X\": 1\n  }\n}"
        );
    }

    /// Found by the two-way sync sequences: a model file that lost its
    /// only attribute and got one back came back with its keys in another
    /// order than one syncback from the start writes.
    #[test]
    fn a_key_that_comes_back_to_a_sorted_document_takes_its_sorted_place() {
        let old = "{\n  className: \"ObjectValue\"\n}\n";
        let new = r#"{ "attributes": { "Rojo_Ref_Value": "./Part" }, "className": "ObjectValue" }"#;
        let value = merge_document(&parse(old).unwrap(), &parse(new).unwrap(), &|_| false);
        assert_eq!(
            to_string_formatted(&value, &Format::detect(old, Style::Json5)),
            "{\n  attributes: {\n    Rojo_Ref_Value: \"./Part\"\n  },\n  className: \"ObjectValue\"\n}\n"
        );
    }

    #[test]
    fn children_merge_element_by_element() {
        let old = "{\n    \"Children\": [{ \"Name\": \"A\", \"ClassName\": \"Part\" }]\n}\n";
        let new = r#"{ "children": [{ "className": "Part", "name": "A" }, { "className": "Model", "name": "B" }] }"#;
        assert_eq!(
            merged(old, new),
            "{\n    \"Children\": [\n        {\n            \"Name\": \"A\",\n            \"ClassName\": \"Part\"\n        },\n        {\n            \"className\": \"Model\",\n            \"name\": \"B\"\n        }\n    ]\n}\n"
        );
    }
}
