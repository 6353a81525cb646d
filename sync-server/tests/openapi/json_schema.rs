//! A checker for the part of JSON Schema (2020-12, the dialect of OpenAPI 3.1) that
//! `openapi.json` is written in, stricter than the standard where the tests want it to be: an
//! object may hold only the properties its schema names unless the schema says otherwise, so
//! a field the server sends and the description leaves out is an error (JSON Schema leaves
//! objects open by default, which would hide exactly the gaps this is for). A keyword it does
//! not know is an error too, so the description cannot use one that goes unchecked.
//!
//! Written here rather than taken from the `jsonschema` crate for that strictness, and because
//! the document uses a dozen keywords: the crate would add some forty dependencies to compile.

use regex::Regex;
use serde_json::Value;

/// Keywords that describe and do not constrain.
const ANNOTATIONS: [&str; 8] = [
    "description",
    "examples",
    "title",
    "format",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// The schemas of one OpenAPI document.
pub struct Schemas<'a> {
    root: &'a Value,
}

impl<'a> Schemas<'a> {
    pub fn new(root: &'a Value) -> Self {
        Self { root }
    }

    /// Every way `value` fails `schema`, each as `<JSON path>: <what>`; empty when it fits.
    pub fn check(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(schema, value, "$", &mut errors);
        errors
    }

    fn resolve(&self, reference: &str) -> &'a Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local references are used: {reference}"));
        self.root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} points at nothing"))
    }

    fn walk(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                errors.push(format!("{at}: nothing is allowed here"));
            }
            return;
        };
        macro_rules! fail {
            ($($why:tt)*) => { errors.push(format!("{at}: {}", format!($($why)*))) };
        }
        for (keyword, rule) in schema {
            match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "$ref" => {
                    let target = self.resolve(rule.as_str().expect("$ref is a string"));
                    self.walk(target, value, at, errors);
                    return self.rest_of(schema, value, at, errors);
                }
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        _ => panic!("{at}: type is a string or a list"),
                    };
                    if !types.iter().any(|t| is_type(value, t)) {
                        fail!("{value} is not of type {types:?}");
                    }
                }
                "enum" => {
                    if !rule.as_array().expect("enum is a list").contains(value) {
                        fail!("{value} is not one of {rule}");
                    }
                }
                "const" => {
                    if rule != value {
                        fail!("{value} is not {rule}");
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(v), Some(bound)) = (value.as_f64(), rule.as_f64()) {
                        let below = keyword == "minimum" && v < bound;
                        let above = keyword == "maximum" && v > bound;
                        if below || above {
                            fail!("{v} is outside its {keyword} {bound}");
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let (Some(s), Some(n)) = (value.as_str(), rule.as_u64()) {
                        let len = s.chars().count() as u64;
                        if (keyword == "minLength" && len < n)
                            || (keyword == "maxLength" && len > n)
                        {
                            fail!("{s:?} has {len} characters, {keyword} is {n}");
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let (Some(items), Some(n)) = (value.as_array(), rule.as_u64()) {
                        let len = items.len() as u64;
                        if (keyword == "minItems" && len < n) || (keyword == "maxItems" && len > n)
                        {
                            fail!("{len} items, {keyword} is {n}");
                        }
                    }
                }
                "pattern" => {
                    let pattern = Regex::new(rule.as_str().expect("pattern is a string"))
                        .unwrap_or_else(|e| panic!("{at}: pattern {rule}: {e}"));
                    if let Some(s) = value.as_str()
                        && !pattern.is_match(s)
                    {
                        fail!("{s:?} does not match {rule}");
                    }
                }
                "items" => {
                    if let Some(items) = value.as_array() {
                        for (i, item) in items.iter().enumerate() {
                            self.walk(rule, item, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                "required" => {
                    if let Some(object) = value.as_object() {
                        for name in rule.as_array().expect("required is a list") {
                            let name = name.as_str().expect("a required name is a string");
                            if !object.contains_key(name) {
                                errors.push(format!("{at}: `{name}` is required and missing"));
                            }
                        }
                    }
                }
                // The two work together, once per object: from `properties`, or from
                // `additionalProperties` when there is no `properties`.
                "additionalProperties" if schema.contains_key("properties") => {}
                "properties" | "additionalProperties" => {
                    if let Some(object) = value.as_object() {
                        self.properties(schema, object, at, errors);
                    }
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let fits = rule
                        .as_array()
                        .expect("a list of schemas")
                        .iter()
                        .map(|s| self.check(s, value))
                        .collect::<Vec<_>>();
                    let passed = fits.iter().filter(|e| e.is_empty()).count();
                    let ok = match keyword.as_str() {
                        "allOf" => passed == fits.len(),
                        "anyOf" => passed > 0,
                        _ => passed == 1,
                    };
                    if !ok {
                        errors.push(format!(
                            "{at}: {passed} of {} schemas of {keyword} fit: {fits:?}",
                            fits.len()
                        ));
                    }
                }
                other => panic!("{at}: the checker does not know the keyword `{other}`"),
            }
        }
    }

    /// A `$ref` with siblings: the siblings apply too (2020-12).
    fn rest_of(
        &self,
        schema: &serde_json::Map<String, Value>,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let mut rest = schema.clone();
        rest.remove("$ref");
        if !rest.is_empty() {
            self.walk(&Value::Object(rest), value, at, errors);
        }
    }

    /// `properties` and `additionalProperties` together, once per object: a name the schema
    /// does not list is checked against `additionalProperties`, and refused when that is absent.
    fn properties(
        &self,
        schema: &serde_json::Map<String, Value>,
        object: &serde_json::Map<String, Value>,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let listed = schema.get("properties").and_then(Value::as_object);
        let extra = schema.get("additionalProperties");
        for (name, item) in object {
            let path = format!("{at}.{name}");
            match (listed.and_then(|l| l.get(name)), extra) {
                (Some(property), _) => self.walk(property, item, &path, errors),
                (None, Some(Value::Bool(true))) => {}
                (None, Some(rule @ Value::Object(_))) => self.walk(rule, item, &path, errors),
                (None, _) => errors.push(format!("{path}: sent but not described")),
            }
        }
    }
}

fn is_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type `{other}`"),
    }
}
