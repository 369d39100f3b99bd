//! The checks every plugin answer passes before Chroma uses it.
//!
//! Each `check_*` turns a raw JSON result into checked data, or into an
//! [`Invalid`] whose message names exactly what was wrong, prefixed by the
//! method (`detect: resource disk-9: attribute slot must be an integer, got
//! "three"`). `alerts` evaluates a class's alert conditions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::protocol::{
    AlertDef, AttrType, AttributeDef, AttributeReport, ClassDef, ConfigureParams, ConfigureResult, IdentityScope,
    Level, RelationshipReport, ResourceReport, Severity, StatisticKind, StatisticReport, PROTOCOL_VERSION,
};

/// At most this many resources in one `detect` answer.
pub const MAX_RESOURCES: usize = 100_000;
/// The longest resource id, in characters.
pub const MAX_ID_CHARS: usize = 128;
/// The longest `string` attribute value, in characters.
pub const MAX_STRING_CHARS: usize = 4096;
/// The longest `path` attribute value, in bytes (Linux's `PATH_MAX`).
pub const MAX_PATH_BYTES: usize = 4096;

/// A plugin answer that breaks the protocol; `Display` is the whole message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(String);

impl Invalid {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Relationship kinds Chroma makes itself: `same_as` between plugins'
/// resources with the same link, `parent` for a resource's parent.
pub const RESERVED_KINDS: [&str; 2] = ["same_as", "parent"];

/// A checked `initialize` answer: who the plugin is and what it declares.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Definition {
    pub name: String,
    pub version: String,
    pub levels: Vec<Level>,
    pub classes: Vec<ClassDef>,
}

impl Definition {
    pub fn class(&self, name: &str) -> Option<&ClassDef> {
        self.classes.iter().find(|c| c.name == name)
    }

    pub fn has_level(&self, level: Level) -> bool {
        self.levels.contains(&level)
    }
}

/// A checked `detect` answer. Optional attributes given as `null` are left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inventory {
    resources: Vec<ResourceReport>,
    relationships: Vec<RelationshipReport>,
    index: HashMap<String, usize>,
}

impl Inventory {
    pub fn resources(&self) -> &[ResourceReport] {
        &self.resources
    }

    pub fn relationships(&self) -> &[RelationshipReport] {
        &self.relationships
    }

    pub fn get(&self, id: &str) -> Option<&ResourceReport> {
        self.index.get(id).and_then(|&i| self.resources.get(i))
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Applies the attribute updates of a checked `monitor` answer (`null` clears an optional attribute).
    pub fn apply(&mut self, readings: &Readings) {
        for update in &readings.attributes {
            let Some(&i) = self.index.get(&update.resource) else {
                continue;
            };
            let Some(resource) = self.resources.get_mut(i) else {
                continue;
            };
            for (name, value) in &update.values {
                if value.is_null() {
                    resource.attributes.remove(name);
                } else {
                    resource.attributes.insert(name.clone(), value.clone());
                }
            }
        }
    }

    pub fn into_parts(self) -> (Vec<ResourceReport>, Vec<RelationshipReport>) {
        (self.resources, self.relationships)
    }
}

/// A checked `monitor` answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Readings {
    pub statistics: Vec<Reading>,
    /// New attribute values; `null` clears an optional attribute.
    pub attributes: Vec<AttributeReport>,
}

impl Readings {
    /// The numeric (gauge and counter) statistics of one resource, by name.
    pub fn numbers(&self, resource: &str) -> BTreeMap<String, f64> {
        self.statistics
            .iter()
            .filter(|r| r.resource == resource)
            .filter_map(|r| match r.value {
                StatValue::Number(n) => Some((r.name.clone(), n)),
                StatValue::Histogram(_) => None,
            })
            .collect()
    }
}

/// One statistic of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub resource: String,
    pub name: String,
    pub value: StatValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatValue {
    /// A gauge or counter.
    Number(f64),
    /// One count per bin, plus one for above the last bin.
    Histogram(Vec<u64>),
}

/// An alert whose condition holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlert {
    pub name: String,
    pub severity: Severity,
    pub message: String,
}

// ---- initialize ----

/// Checks an `initialize` answer from the plugin whose manifest is named `expected_name`.
pub fn check_initialize(value: &Value, expected_name: &str) -> Result<Definition, Invalid> {
    let fail = |m: String| Invalid::new(format!("initialize: {m}"));
    let object = value
        .as_object()
        .ok_or_else(|| fail(format!("the result must be an object, got {}", show(value))))?;
    let protocol = object.get("protocol").unwrap_or(&Value::Null);
    if protocol.as_u64() != Some(u64::from(PROTOCOL_VERSION)) {
        return Err(fail(format!(
            "protocol must be {PROTOCOL_VERSION}, got {}",
            show(protocol)
        )));
    }
    let name = string_member(object, "name").map_err(fail)?;
    if name != expected_name {
        return Err(fail(format!(
            "the plugin is named {name:?} but its manifest says {expected_name:?}"
        )));
    }
    let version = string_member(object, "version").map_err(fail)?;
    let levels = levels(object.get("levels")).map_err(fail)?;
    let raw_classes = match object.get("classes") {
        Some(Value::Array(classes)) => classes,
        other => return Err(fail(format!("classes must be a list, got {}", show_opt(other)))),
    };
    let classes = raw_classes
        .iter()
        .enumerate()
        .map(|(i, c)| parse_class(c, i))
        .collect::<Result<Vec<_>, String>>()
        .map_err(fail)?;

    let mut names = HashSet::new();
    for class in &classes {
        if !is_word(&class.name, true) {
            return Err(fail(format!(
                "class name {:?} must be a lower-case letter then up to 31 of a-z, 0-9 and _",
                class.name
            )));
        }
        if !names.insert(class.name.as_str()) {
            return Err(fail(format!("class {} is declared twice", class.name)));
        }
    }
    for class in &classes {
        check_class(class, &names, &levels).map_err(|m| fail(format!("class {}: {m}", class.name)))?;
    }
    Ok(Definition {
        name: name.to_owned(),
        version: version.to_owned(),
        levels,
        classes,
    })
}

fn string_member<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s),
        other => Err(format!("{key} must be a string, got {}", show_opt(other))),
    }
}

fn levels(value: Option<&Value>) -> Result<Vec<Level>, String> {
    let Some(Value::Array(items)) = value else {
        return Err(format!("levels must be a list, got {}", show_opt(value)));
    };
    let mut levels = Vec::new();
    for item in items {
        let level = match item.as_str() {
            Some("detect") => Level::Detect,
            Some("monitor") => Level::Monitor,
            Some("configure") => Level::Configure,
            _ => {
                return Err(format!(
                    "unknown level {} (levels are detect, monitor and configure)",
                    show(item)
                ))
            }
        };
        if !levels.contains(&level) {
            levels.push(level);
        }
    }
    if !levels.contains(&Level::Detect) {
        return Err("levels must include detect".to_owned());
    }
    Ok(levels)
}

/// Parses one class, naming the part serde could not read.
fn parse_class(value: &Value, index: usize) -> Result<ClassDef, String> {
    let label = match value.get("name").and_then(Value::as_str) {
        Some(name) => format!("class {name}"),
        None => format!("class #{}", index + 1),
    };
    let error = match serde_json::from_value::<ClassDef>(value.clone()) {
        Ok(class) => return Ok(class),
        Err(error) => error,
    };
    let located = first_bad::<AttributeDef>(value.get("attributes"), "attribute")
        .or_else(|| first_bad::<crate::protocol::StatisticDef>(value.get("statistics"), "statistic"))
        .or_else(|| first_bad::<AlertDef>(value.get("alerts"), "alert"))
        .or_else(|| bad_action(value.get("actions")))
        .or_else(|| {
            let identity = value.get("identity")?;
            let e = serde_json::from_value::<crate::protocol::Identity>(identity.clone()).err()?;
            Some(format!("identity: {e}"))
        });
    Err(format!("{label}: {}", located.unwrap_or_else(|| error.to_string())))
}

/// The first element of a list that does not parse as `T`, named.
fn first_bad<T: DeserializeOwned>(list: Option<&Value>, what: &str) -> Option<String> {
    let items = list?.as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        let error = serde_json::from_value::<T>(item.clone()).err()?;
        Some(format!("{}: {error}", element_label(item, what, i)))
    })
}

fn bad_action(list: Option<&Value>) -> Option<String> {
    let items = list?.as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        let error = serde_json::from_value::<crate::protocol::ActionDef>(item.clone()).err()?;
        let label = element_label(item, "action", i);
        let detail = first_bad::<AttributeDef>(item.get("args"), "argument").unwrap_or_else(|| error.to_string());
        Some(format!("{label}: {detail}"))
    })
}

fn element_label(item: &Value, what: &str, index: usize) -> String {
    match item.get("name").and_then(Value::as_str) {
        Some(name) => format!("{what} {name}"),
        None => format!("{what} #{}", index + 1),
    }
}

fn check_class(class: &ClassDef, classes: &HashSet<&str>, levels: &[Level]) -> Result<(), String> {
    let mut names = HashSet::new();
    for attribute in &class.attributes {
        check_attribute_def(attribute, classes, "attribute")?;
        if !names.insert(attribute.name.as_str()) {
            return Err(format!("attribute {} is declared twice", attribute.name));
        }
    }
    if let Some(identity) = &class.identity {
        if identity.attributes.is_empty() {
            return Err("identity names no attributes".to_owned());
        }
        let mut seen = HashSet::new();
        for name in &identity.attributes {
            if class.attribute(name).is_none() {
                return Err(format!("identity attribute {name} is not declared"));
            }
            if !seen.insert(name) {
                return Err(format!("identity names attribute {name} twice"));
            }
        }
    }
    let mut names = HashSet::new();
    for statistic in &class.statistics {
        check_statistic_def(statistic)?;
        if !names.insert(statistic.name.as_str()) {
            return Err(format!("statistic {} is declared twice", statistic.name));
        }
    }
    let mut names = HashSet::new();
    for alert in &class.alerts {
        check_alert_def(class, alert).map_err(|m| format!("alert {}: {m}", alert.name))?;
        if !names.insert(alert.name.as_str()) {
            return Err(format!("alert {} is declared twice", alert.name));
        }
    }
    if !class.actions.is_empty() && !levels.contains(&Level::Configure) {
        return Err("it declares actions but levels do not include configure".to_owned());
    }
    let mut names = HashSet::new();
    for action in &class.actions {
        if action.name.is_empty() {
            return Err("an action has an empty name".to_owned());
        }
        if !names.insert(action.name.as_str()) {
            return Err(format!("action {} is declared twice", action.name));
        }
        let mut args = HashSet::new();
        for arg in &action.args {
            check_attribute_def(arg, classes, "argument").map_err(|m| format!("action {}: {m}", action.name))?;
            if !args.insert(arg.name.as_str()) {
                return Err(format!(
                    "action {}: argument {} is declared twice",
                    action.name, arg.name
                ));
            }
        }
    }
    Ok(())
}

fn check_attribute_def(attribute: &AttributeDef, classes: &HashSet<&str>, what: &str) -> Result<(), String> {
    let name = &attribute.name;
    if name.is_empty() || name.contains(['{', '}']) || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "{what} name {name:?} must be non-empty, without spaces or braces"
        ));
    }
    match (&attribute.kind, &attribute.values) {
        (AttrType::Enum, None) => return Err(format!("enum {what} {name} has no values")),
        (AttrType::Enum, Some(values)) => {
            if values.is_empty() {
                return Err(format!("enum {what} {name} has no values"));
            }
            let mut seen = HashSet::new();
            if let Some(twice) = values.iter().find(|v| !seen.insert(v.as_str())) {
                return Err(format!("enum {what} {name} lists {twice:?} twice"));
            }
        }
        (_, Some(_)) => return Err(format!("{what} {name} has values but is not an enum")),
        (_, None) => {}
    }
    match (&attribute.kind, &attribute.class) {
        (AttrType::Reference, None) => return Err(format!("reference {what} {name} names no class")),
        (AttrType::Reference, Some(class)) if !classes.contains(class.as_str()) => {
            return Err(format!(
                "reference {what} {name} names class {class}, which is not declared"
            ));
        }
        (AttrType::Reference, Some(_)) | (_, None) => {}
        (_, Some(_)) => return Err(format!("{what} {name} names a class but is not a reference")),
    }
    if attribute.link.as_deref() == Some("") {
        return Err(format!("{what} {name} has an empty link"));
    }
    Ok(())
}

fn check_statistic_def(statistic: &crate::protocol::StatisticDef) -> Result<(), String> {
    let name = &statistic.name;
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err(format!("statistic name {name:?} must be non-empty, without spaces"));
    }
    match (statistic.kind, &statistic.bins) {
        (StatisticKind::Histogram, None) => Err(format!("histogram {name} has no bins")),
        (StatisticKind::Histogram, Some(bins)) => {
            if bins.is_empty() {
                return Err(format!("histogram {name} has no bins"));
            }
            if bins.iter().any(|b| !b.is_finite()) || bins.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("histogram {name}: bins must ascend, got {bins:?}"));
            }
            Ok(())
        }
        (_, Some(_)) => Err(format!("statistic {name} has bins but is not a histogram")),
        (_, None) => Ok(()),
    }
}

fn check_alert_def(class: &ClassDef, alert: &AlertDef) -> Result<(), String> {
    if alert.name.is_empty() {
        return Err("the name is empty".to_owned());
    }
    match (&alert.attribute, &alert.statistic) {
        (Some(_), Some(_)) => return Err("names both an attribute and a statistic".to_owned()),
        (None, None) => return Err("names neither an attribute nor a statistic".to_owned()),
        (Some(name), None) => {
            let attribute = class
                .attribute(name)
                .ok_or_else(|| format!("attribute {name} is not declared"))?;
            if alert.above.is_some() || alert.below.is_some() {
                return Err("an attribute alert takes bad_values, not above or below".to_owned());
            }
            if alert.bad_values.is_empty() {
                return Err("bad_values is empty".to_owned());
            }
            for bad in &alert.bad_values {
                // A reference's values are ids, which exist only once detected.
                let no_resources = |_: &str| None;
                if attribute.kind != AttrType::Reference {
                    check_value(attribute, bad, &no_resources).map_err(|m| format!("bad value {m}"))?;
                } else if !bad.is_string() {
                    return Err(format!("bad value {} must be a resource id", show(bad)));
                }
            }
        }
        (None, Some(name)) => {
            let statistic = class
                .statistic(name)
                .ok_or_else(|| format!("statistic {name} is not declared"))?;
            if statistic.kind == StatisticKind::Histogram {
                return Err(format!(
                    "statistic {name} is a histogram, which has no single value to compare"
                ));
            }
            if !alert.bad_values.is_empty() {
                return Err("a statistic alert takes above or below, not bad_values".to_owned());
            }
            if alert.above.is_none() && alert.below.is_none() {
                return Err("a statistic alert needs above or below".to_owned());
            }
        }
    }
    for placeholder in placeholders(&alert.message) {
        if placeholder != "value" && class.attribute(placeholder).is_none() {
            return Err(format!(
                "message names {{{placeholder}}}, which is not an attribute of {}",
                class.name
            ));
        }
    }
    Ok(())
}

/// The `{word}`s in an alert message.
fn placeholders(message: &str) -> impl Iterator<Item = &str> {
    message.split('{').skip(1).filter_map(|rest| {
        let (word, _) = rest.split_once('}')?;
        let is_word = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
        is_word.then_some(word)
    })
}

// ---- detect ----

/// Checks a `detect` answer against the plugin's definition.
pub fn check_detect(def: &Definition, value: &Value) -> Result<Inventory, Invalid> {
    detect(def, value).map_err(|m| Invalid::new(format!("detect: {m}")))
}

fn detect(def: &Definition, value: &Value) -> Result<Inventory, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("the result must be an object, got {}", show(value)))?;
    let raw = match object.get("resources") {
        Some(Value::Array(raw)) => raw,
        other => return Err(format!("resources must be a list, got {}", show_opt(other))),
    };
    if raw.len() > MAX_RESOURCES {
        return Err(format!(
            "{} resources, more than the {MAX_RESOURCES} allowed",
            raw.len()
        ));
    }
    let mut resources = Vec::with_capacity(raw.len());
    let mut index = HashMap::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let resource = parse_resource(item, i)?;
        if index.insert(resource.id.clone(), i).is_some() {
            return Err(format!("resource id {} is used twice", resource.id));
        }
        resources.push(resource);
    }
    let class_of = |id: &str| {
        index
            .get(id)
            .and_then(|&i| resources.get(i))
            .map(|r: &ResourceReport| r.class.as_str())
    };
    let mut identities: HashMap<(&str, Option<&str>, String), &str> = HashMap::new();
    for resource in &resources {
        let class = def
            .class(&resource.class)
            .ok_or_else(|| format!("resource {}: class {} is not declared", resource.id, resource.class))?;
        if let Some(parent) = &resource.parent {
            if !index.contains_key(parent) {
                return Err(format!("resource {}: parent {parent} is not a resource", resource.id));
            }
        }
        check_attributes(class, &resource.attributes, &class_of)
            .map_err(|m| format!("resource {}: {m}", resource.id))?;
        if let Some(identity) = &class.identity {
            let parent = match identity.scope {
                IdentityScope::Global => None,
                IdentityScope::Parent => resource.parent.as_deref(),
            };
            let shown = identity
                .attributes
                .iter()
                .map(|a| format!("{a} {}", show_opt(resource.attributes.get(a))))
                .collect::<Vec<_>>()
                .join(", ");
            // The full values, not the shortened ones shown, tell resources apart.
            let key = identity
                .attributes
                .iter()
                .map(|a| resource.attributes.get(a).unwrap_or(&Value::Null).to_string())
                .collect::<Vec<_>>()
                .join("\u{0}");
            if let Some(other) = identities.insert((&class.name, parent, key), &resource.id) {
                let place = match (identity.scope, parent) {
                    (IdentityScope::Global, _) => format!("among class {}", class.name),
                    (IdentityScope::Parent, Some(p)) => format!("among the {} resources under {p}", class.name),
                    (IdentityScope::Parent, None) => format!("among the {} resources without a parent", class.name),
                };
                return Err(format!(
                    "resources {other} and {} have the same identity ({shown}) {place}",
                    resource.id
                ));
            }
        }
    }
    let relationships = relationships(object.get("relationships"), &index)?;
    let mut inventory = Inventory {
        resources,
        relationships,
        index,
    };
    if let Some(cycle) = find_cycle(&inventory) {
        return Err(format!("a cycle: {}", cycle.join(" → ")));
    }
    for resource in &mut inventory.resources {
        resource.attributes.retain(|_, v| !v.is_null());
    }
    Ok(inventory)
}

fn parse_resource(item: &Value, index: usize) -> Result<ResourceReport, String> {
    let label = format!("resource #{}", index + 1);
    let object = item
        .as_object()
        .ok_or_else(|| format!("{label} must be an object, got {}", show(item)))?;
    let id = match object.get("id") {
        Some(Value::String(id)) => id,
        other => return Err(format!("{label}: id must be a string, got {}", show_opt(other))),
    };
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(format!("{label}: id {id:?} must be 1 to {MAX_ID_CHARS} characters"));
    }
    serde_json::from_value(item.clone()).map_err(|e| format!("resource {id}: {e}"))
}

/// Checks every attribute of a resource: all required ones present, none undeclared, each of its type.
fn check_attributes<'a>(
    class: &ClassDef,
    attributes: &Map<String, Value>,
    class_of: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<(), String> {
    for def in &class.attributes {
        match attributes.get(&def.name) {
            None if def.optional => {}
            None => return Err(format!("attribute {} is missing", def.name)),
            Some(Value::Null) if def.optional => {}
            Some(value) => check_value(def, value, class_of).map_err(|m| format!("attribute {m}"))?,
        }
    }
    if let Some(name) = attributes.keys().find(|k| class.attribute(k).is_none()) {
        return Err(format!("attribute {name} is not declared for class {}", class.name));
    }
    Ok(())
}

/// Checks one value against its attribute's type; the error reads `slot must be an integer, got "three"`.
fn check_value<'a>(
    def: &AttributeDef,
    value: &Value,
    class_of: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<(), String> {
    let ok = match def.kind {
        AttrType::String => value.as_str().is_some_and(|s| s.chars().count() <= MAX_STRING_CHARS),
        AttrType::Integer => value.is_i64() || value.is_u64(),
        AttrType::Bytes => value.is_u64(),
        AttrType::Enum => value
            .as_str()
            .is_some_and(|s| def.values.iter().flatten().any(|v| v == s)),
        AttrType::Boolean => value.is_boolean(),
        AttrType::Hostname => value.as_str().is_some_and(is_host),
        AttrType::Path => value
            .as_str()
            .is_some_and(|s| s.starts_with('/') && !s.contains('\0') && s.len() <= MAX_PATH_BYTES),
        AttrType::Uuid => value.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
        AttrType::Reference => value
            .as_str()
            .is_some_and(|id| class_of(id).is_some_and(|c| Some(c) == def.class.as_deref())),
    };
    if ok {
        return Ok(());
    }
    let expected = match def.kind {
        AttrType::String => format!("a string of at most {MAX_STRING_CHARS} characters"),
        AttrType::Integer => "an integer".to_owned(),
        AttrType::Bytes => "a non-negative integer".to_owned(),
        AttrType::Enum => {
            let values = def
                .values
                .iter()
                .flatten()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>();
            format!("one of {}", values.join(", "))
        }
        AttrType::Boolean => "true or false".to_owned(),
        AttrType::Hostname => "a host name or IP address".to_owned(),
        AttrType::Path => format!("an absolute path of at most {MAX_PATH_BYTES} bytes"),
        AttrType::Uuid => "a UUID".to_owned(),
        AttrType::Reference => {
            format!("the id of a {} resource", def.class.as_deref().unwrap_or_default())
        }
    };
    Err(format!("{} must be {expected}, got {}", def.name, show(value)))
}

/// A host name (RFC 1123 labels) or an IPv4/IPv6 address.
fn is_host(s: &str) -> bool {
    if s.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = s.strip_suffix('.').unwrap_or(s);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        // An all-numeric dotted name is a malformed IPv4 address, not a host name.
        && !name.split('.').all(|label| label.bytes().all(|b| b.is_ascii_digit()))
}

fn relationships(value: Option<&Value>, index: &HashMap<String, usize>) -> Result<Vec<RelationshipReport>, String> {
    let raw = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(raw)) => raw,
        Some(other) => return Err(format!("relationships must be a list, got {}", show(other))),
    };
    let mut seen = HashSet::new();
    let mut relationships = Vec::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let r: RelationshipReport =
            serde_json::from_value(item.clone()).map_err(|e| format!("relationship #{}: {e}", i + 1))?;
        let label = format!("relationship {} → {} ({})", r.from, r.to, r.kind);
        for end in [&r.from, &r.to] {
            if !index.contains_key(end) {
                return Err(format!("{label}: {end} is not a resource"));
            }
        }
        if !is_word(&r.kind, false) {
            return Err(format!(
                "{label}: kind {:?} must be a lower-case word (a-z and _, at most 32)",
                r.kind
            ));
        }
        if RESERVED_KINDS.contains(&r.kind.as_str()) {
            return Err(format!("{label}: kind {:?} is Chroma's own", r.kind));
        }
        if !seen.insert(r.clone()) {
            return Err(format!("{label} is listed twice"));
        }
        relationships.push(r);
    }
    Ok(relationships)
}

/// A path that returns to its start through parent links (child → parent)
/// and relationships (from → to), if there is one.
fn find_cycle(inventory: &Inventory) -> Option<Vec<String>> {
    let n = inventory.resources.len();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, resource) in inventory.resources.iter().enumerate() {
        if let Some(&p) = resource.parent.as_ref().and_then(|p| inventory.index.get(p)) {
            edges[i].push(p);
        }
    }
    for r in &inventory.relationships {
        if let (Some(&from), Some(&to)) = (inventory.index.get(&r.from), inventory.index.get(&r.to)) {
            edges[from].push(to);
        }
    }
    // 0: not visited, 1: on the current path, 2: done. Iterative, as 100,000 deep would overflow the stack.
    let mut state = vec![0u8; n];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        path.push((to, 0));
                    }
                    1 => {
                        let from = path.iter().position(|&(p, _)| p == to).unwrap_or(0);
                        let mut cycle: Vec<String> = path[from..]
                            .iter()
                            .map(|&(p, _)| inventory.resources[p].id.clone())
                            .collect();
                        cycle.push(inventory.resources[to].id.clone());
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                path.pop();
            }
        }
    }
    None
}

// ---- monitor ----

/// Checks a `monitor` answer against the definition and the last detected inventory.
pub fn check_monitor(def: &Definition, inventory: &Inventory, value: &Value) -> Result<Readings, Invalid> {
    monitor(def, inventory, value).map_err(|m| Invalid::new(format!("monitor: {m}")))
}

fn monitor(def: &Definition, inventory: &Inventory, value: &Value) -> Result<Readings, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("the result must be an object, got {}", show(value)))?;
    let class_of = |id: &str| inventory.get(id).map(|r| r.class.as_str());
    let resource_class = |id: &str| -> Result<&ClassDef, String> {
        let resource = inventory
            .get(id)
            .ok_or_else(|| format!("resource {id} was not detected"))?;
        def.class(&resource.class)
            .ok_or_else(|| format!("resource {id}: class {} is not declared", resource.class))
    };

    let mut statistics = Vec::new();
    let mut seen = HashSet::new();
    for (i, item) in list(object.get("statistics"), "statistics")?.iter().enumerate() {
        let report: StatisticReport =
            serde_json::from_value(item.clone()).map_err(|e| format!("statistic #{}: {e}", i + 1))?;
        let class = resource_class(&report.resource)?;
        let prefix = format!("resource {}: statistic {}", report.resource, report.name);
        let stat = class
            .statistic(&report.name)
            .ok_or_else(|| format!("{prefix} is not declared for class {}", class.name))?;
        let value = match (stat.kind, &report.value) {
            (StatisticKind::Histogram, value) => {
                let bins = stat.bins.as_ref().map_or(0, Vec::len) + 1;
                let counts = value
                    .as_array()
                    .filter(|a| a.len() == bins)
                    .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| {
                        format!(
                            "{prefix} must be a list of {bins} non-negative integers, got {}",
                            show(value)
                        )
                    })?;
                StatValue::Histogram(counts)
            }
            (_, value) => match value.as_f64().filter(|n| n.is_finite()) {
                Some(n) => StatValue::Number(n),
                None => return Err(format!("{prefix} must be a number, got {}", show(value))),
            },
        };
        if !seen.insert((report.resource.clone(), report.name.clone())) {
            return Err(format!("{prefix} is reported twice"));
        }
        statistics.push(Reading {
            resource: report.resource,
            name: report.name,
            value,
        });
    }

    let mut attributes = Vec::new();
    let mut seen = HashSet::new();
    for (i, item) in list(object.get("attributes"), "attributes")?.iter().enumerate() {
        let report: AttributeReport =
            serde_json::from_value(item.clone()).map_err(|e| format!("attributes #{}: {e}", i + 1))?;
        let class = resource_class(&report.resource)?;
        let prefix = format!("resource {}", report.resource);
        if !seen.insert(report.resource.clone()) {
            return Err(format!("{prefix}: attributes are reported twice"));
        }
        for (name, value) in &report.values {
            let attribute = class
                .attribute(name)
                .ok_or_else(|| format!("{prefix}: attribute {name} is not declared for class {}", class.name))?;
            if class.identity.as_ref().is_some_and(|id| id.attributes.contains(name)) {
                return Err(format!(
                    "{prefix}: attribute {name} identifies the resource and changes only in detect"
                ));
            }
            if !(value.is_null() && attribute.optional) {
                check_value(attribute, value, &class_of).map_err(|m| format!("{prefix}: attribute {m}"))?;
            }
        }
        attributes.push(report);
    }
    Ok(Readings { statistics, attributes })
}

fn list<'a>(value: Option<&'a Value>, what: &str) -> Result<&'a [Value], String> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("{what} must be a list, got {}", show(other))),
    }
}

// ---- configure ----

/// Checks an operator's `configure` request before it is sent: the action
/// exists for the resource's class and the args match its declaration.
pub fn check_configure(def: &Definition, inventory: &Inventory, params: &ConfigureParams) -> Result<(), Invalid> {
    let fail = |m: String| Invalid::new(format!("configure: {m}"));
    let resource = inventory
        .get(&params.resource)
        .ok_or_else(|| fail(format!("resource {} was not detected", params.resource)))?;
    let class = def
        .class(&resource.class)
        .ok_or_else(|| fail(format!("class {} is not declared", resource.class)))?;
    let action = class.action(&params.action).ok_or_else(|| {
        fail(format!(
            "class {} has no action {} (resource {})",
            class.name, params.action, params.resource
        ))
    })?;
    let class_of = |id: &str| inventory.get(id).map(|r| r.class.as_str());
    for arg in &action.args {
        match params.args.get(&arg.name) {
            None if arg.optional => {}
            None => {
                return Err(fail(format!(
                    "action {}: argument {} is missing",
                    action.name, arg.name
                )))
            }
            Some(Value::Null) if arg.optional => {}
            Some(value) => {
                check_value(arg, value, &class_of).map_err(|m| fail(format!("action {}: argument {m}", action.name)))?
            }
        }
    }
    if let Some(name) = params.args.keys().find(|k| !action.args.iter().any(|a| &a.name == *k)) {
        return Err(fail(format!("action {} takes no argument {name}", action.name)));
    }
    Ok(())
}

/// Checks a `configure` answer.
pub fn check_configure_result(value: &Value) -> Result<ConfigureResult, Invalid> {
    serde_json::from_value(value.clone())
        .map_err(|e| Invalid::new(format!("configure: the result must be {{\"message\": \"…\"}}: {e}")))
}

// ---- alerts ----

/// The alerts of `class` whose conditions hold for a resource with these
/// current attribute values and latest (gauge and counter) statistics. An
/// unknown class has no alerts; a statistic not yet reported raises none.
pub fn alerts(
    def: &Definition,
    class: &str,
    attributes: &Map<String, Value>,
    statistics: &BTreeMap<String, f64>,
) -> Vec<RaisedAlert> {
    let Some(class) = def.class(class) else {
        return Vec::new();
    };
    class
        .alerts
        .iter()
        .filter_map(|alert| {
            let value = match (&alert.attribute, &alert.statistic) {
                (Some(attribute), _) => {
                    let value = attributes.get(attribute)?;
                    alert.bad_values.contains(value).then(|| display(value))?
                }
                (None, Some(statistic)) => {
                    let value = *statistics.get(statistic)?;
                    let high = alert.above.is_some_and(|bound| value > bound);
                    let low = alert.below.is_some_and(|bound| value < bound);
                    (high || low).then(|| value.to_string())?
                }
                (None, None) => return None,
            };
            Some(RaisedAlert {
                name: alert.name.clone(),
                severity: alert.severity,
                message: fill(&alert.message, attributes, &value),
            })
        })
        .collect()
}

/// Replaces `{value}` and `{attribute}` in an alert message.
fn fill(message: &str, attributes: &Map<String, Value>, value: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let word = after.split_once('}').map(|(w, _)| w);
        let replacement = match word {
            Some("value") => Some(value.to_owned()),
            Some(w) => attributes.get(w).map(display),
            None => None,
        };
        match (word, replacement) {
            (Some(w), Some(r)) => {
                out.push_str(&r);
                rest = &after[w.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A value as a person reads it: strings without quotes.
fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---- helpers ----

/// `^[a-z][a-z0-9_]{0,31}$`, or `^[a-z][a-z_]{0,31}$` without digits.
fn is_word(s: &str, digits: bool) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && s.len() <= 32
        && bytes.all(|b| b.is_ascii_lowercase() || b == b'_' || (digits && b.is_ascii_digit()))
}

/// A value as JSON, shortened for an error message.
fn show(value: &Value) -> String {
    const MAX: usize = 80;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        return text;
    }
    let short: String = text.chars().take(MAX).collect();
    format!("{short}…")
}

fn show_opt(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), show)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// docs/plugins.md, whose complete example plugin the tests run.
    const PLUGINS_DOC: &str = include_str!("../../../docs/plugins.md");

    /// The complete example plugin of docs/plugins.md, as written there.
    pub(crate) fn shelf_plugin() -> &'static str {
        PLUGINS_DOC
            .split("## A complete example")
            .nth(1)
            .and_then(|rest| rest.split("```python\n").nth(1))
            .and_then(|code| code.split("\n```").next())
            .unwrap_or_default()
    }

    // The example's answers.
    const SHELF_INITIALIZE: &str = include_str!("../tests/fixtures/shelf_initialize.json");
    const SHELF_DETECT: &str = include_str!("../tests/fixtures/shelf_detect.json");
    const SHELF_MONITOR: &str = include_str!("../tests/fixtures/shelf_monitor.json");

    fn shelf_initialize() -> anyhow::Result<Value> {
        Ok(serde_json::from_str(SHELF_INITIALIZE)?)
    }

    fn shelf() -> anyhow::Result<Definition> {
        Ok(check_initialize(&shelf_initialize()?, "shelf")?)
    }

    fn shelf_inventory(def: &Definition) -> anyhow::Result<Inventory> {
        Ok(check_detect(def, &serde_json::from_str(SHELF_DETECT)?)?)
    }

    /// `base` with the value at a JSON pointer replaced (or, for a new last key of an object, added).
    fn with(mut base: Value, pointer: &str, new: Value) -> anyhow::Result<Value> {
        let (parent, key) = pointer
            .rsplit_once('/')
            .ok_or_else(|| anyhow::anyhow!("bad pointer {pointer}"))?;
        match base.pointer_mut(parent) {
            Some(Value::Object(object)) => {
                object.insert(key.to_owned(), new);
            }
            Some(Value::Array(items)) => {
                let slot = items
                    .get_mut(key.parse::<usize>()?)
                    .ok_or_else(|| anyhow::anyhow!("no {pointer}"))?;
                *slot = new;
            }
            _ => anyhow::bail!("no {parent}"),
        }
        Ok(base)
    }

    fn error<T: std::fmt::Debug>(result: Result<T, Invalid>) -> String {
        match result {
            Ok(value) => format!("accepted: {value:?}"),
            Err(invalid) => invalid.to_string(),
        }
    }

    // ---- initialize ----

    #[test]
    fn the_spec_example_declares_two_classes() -> anyhow::Result<()> {
        let def = shelf()?;
        assert_eq!((def.name.as_str(), def.version.as_str()), ("shelf", "1.0.0"));
        assert_eq!(def.levels, [Level::Detect, Level::Monitor, Level::Configure]);
        let disk = def.class("disk").ok_or_else(|| anyhow::anyhow!("no disk"))?;
        assert_eq!(disk.attribute("serial").and_then(|a| a.link.as_deref()), Some("serial"));
        assert_eq!(disk.identity.as_ref().map(|i| i.scope), Some(IdentityScope::Parent));
        assert!(disk.action("locate").is_some());
        Ok(())
    }

    #[test]
    fn the_spec_disk_class_and_sim_raid_classes_pass() -> anyhow::Result<()> {
        let disk = json!({
          "name": "disk", "label": "Disk",
          "attributes": [
            {"name": "slot", "type": "integer"},
            {"name": "serial", "type": "string", "link": "serial"},
            {"name": "size", "type": "bytes"},
            {"name": "status", "type": "enum", "values": ["ok", "failed", "rebuilding"]},
            {"name": "enclosure", "type": "reference", "class": "enclosure", "optional": true}
          ],
          "identity": {"scope": "parent", "attributes": ["slot"]},
          "statistics": [
            {"name": "read_bytes", "kind": "counter", "unit": "bytes", "chart": "Throughput"},
            {"name": "temperature", "kind": "gauge", "unit": "celsius", "chart": "Temperature"},
            {"name": "latency", "kind": "histogram", "unit": "ms", "chart": "Latency", "bins": [1, 5, 10, 50]}
          ],
          "alerts": [
            {"name": "disk_failed", "attribute": "status", "bad_values": ["failed"],
             "severity": "error", "message": "disk {serial} in slot {slot} has failed"},
            {"name": "disk_hot", "statistic": "temperature", "above": 60,
             "severity": "warning", "message": "disk {serial} is at {value} °C"}
          ],
          "actions": [
            {"name": "create_lun", "label": "Create a LUN",
             "args": [{"name": "size", "type": "bytes"}, {"name": "name", "type": "string"}]}
          ]
        });
        let enclosure = json!({"name": "enclosure", "attributes": [{"name": "name", "type": "string"}]});
        let answer = json!({"protocol": 1, "name": "acme-array", "version": "2.3.0",
                            "levels": ["detect", "monitor", "configure"], "classes": [enclosure, disk]});
        check_initialize(&answer, "acme-array")?;

        let status = |values: &[&str]| json!({"name": "status", "type": "enum", "values": values});
        let sim_raid = json!({"protocol": 1, "name": "sim-raid", "version": "0.1.0",
            "levels": ["detect", "monitor", "configure"], "classes": [
            {"name": "array", "label": "RAID array", "attributes": [{"name": "name", "type": "string"},
             {"name": "model", "type": "string"}, {"name": "firmware", "type": "string"}],
             "identity": {"scope": "global", "attributes": ["name"]}},
            {"name": "fan", "label": "Fan", "attributes": [{"name": "index", "type": "integer"}, status(&["ok", "failed"])],
             "identity": {"scope": "parent", "attributes": ["index"]},
             "statistics": [{"name": "rpm", "kind": "gauge", "unit": "rpm", "chart": "Fan speed"}],
             "alerts": [{"name": "fan_failed", "attribute": "status", "bad_values": ["failed"],
                         "severity": "error", "message": "fan {index} has failed"},
                        {"name": "fan_slow", "statistic": "rpm", "below": 1000,
                         "severity": "warning", "message": "fan {index} is turning at {value} rpm"}]},
            {"name": "pool", "label": "Pool", "attributes": [{"name": "name", "type": "string"},
             status(&["ok", "degraded", "failed"]), {"name": "capacity", "type": "bytes"}],
             "identity": {"scope": "parent", "attributes": ["name"]},
             "actions": [{"name": "create_lun", "label": "Create a LUN",
                          "args": [{"name": "name", "type": "string"}, {"name": "size", "type": "bytes"}]}]},
            {"name": "lun", "label": "LUN", "attributes": [{"name": "name", "type": "string"},
             {"name": "serial", "type": "string", "link": "serial"}],
             "statistics": [{"name": "read_bytes", "kind": "counter", "unit": "bytes", "chart": "Throughput"},
                            {"name": "latency", "kind": "histogram", "unit": "ms", "chart": "Latency", "bins": [1, 5, 10, 50]}]}
        ]});
        check_initialize(&sim_raid, "sim-raid")?;
        Ok(())
    }

    #[test]
    fn initialize_errors_name_what_is_wrong() -> anyhow::Result<()> {
        let base = shelf_initialize()?;
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "initialize: the result must be an object, got []"),
            (with(base.clone(), "/protocol", json!(2))?, "initialize: protocol must be 1, got 2"),
            (
                with(base.clone(), "/name", json!("rack"))?,
                "initialize: the plugin is named \"rack\" but its manifest says \"shelf\"",
            ),
            (with(base.clone(), "/version", json!(1))?, "initialize: version must be a string, got 1"),
            (with(base.clone(), "/levels", json!(["monitor"]))?, "initialize: levels must include detect"),
            (
                with(base.clone(), "/levels", json!(["detect", "watch"]))?,
                "initialize: unknown level \"watch\" (levels are detect, monitor and configure)",
            ),
            (
                with(base.clone(), "/levels", json!(["detect", "monitor"]))?,
                "initialize: class disk: it declares actions but levels do not include configure",
            ),
            (
                with(base.clone(), "/classes/0/name", json!("disk"))?,
                "initialize: class disk is declared twice",
            ),
            (
                with(base.clone(), "/classes/0/name", json!("Shelf"))?,
                "initialize: class name \"Shelf\" must be a lower-case letter then up to 31 of a-z, 0-9 and _",
            ),
            (
                with(base.clone(), "/classes/0/name", json!("a_class_name_of_thirty_three_chrs"))?,
                "must be a lower-case letter",
            ),
            (
                with(base.clone(), "/classes/1/attributes/1/name", json!("slot"))?,
                "initialize: class disk: attribute slot is declared twice",
            ),
            (
                with(base.clone(), "/classes/1/attributes/0/type", json!("int"))?,
                "initialize: class disk: attribute slot: unknown variant `int`",
            ),
            (
                with(base.clone(), "/classes/1/attributes/2/values", json!([]))?,
                "initialize: class disk: enum attribute status has no values",
            ),
            (
                with(base.clone(), "/classes/1/attributes/0/values", json!(["1"]))?,
                "initialize: class disk: attribute slot has values but is not an enum",
            ),
            (
                with(base.clone(), "/classes/1/attributes/1", json!({"name": "serial", "type": "enum"}))?,
                "initialize: class disk: enum attribute serial has no values",
            ),
            (
                with(base.clone(), "/classes/1/attributes/1", json!({"name": "shelf", "type": "reference", "class": "rack"}))?,
                "initialize: class disk: reference attribute shelf names class rack, which is not declared",
            ),
            (
                with(base.clone(), "/classes/1/attributes/1", json!({"name": "shelf", "type": "reference"}))?,
                "initialize: class disk: reference attribute shelf names no class",
            ),
            (
                with(base.clone(), "/classes/1/identity/attributes", json!(["bay"]))?,
                "initialize: class disk: identity attribute bay is not declared",
            ),
            (
                with(base.clone(), "/classes/1/identity/scope", json!("rack"))?,
                "initialize: class disk: identity: unknown variant `rack`",
            ),
            (
                with(base.clone(), "/classes/1/statistics/0/kind", json!("meter"))?,
                "initialize: class disk: statistic temperature: unknown variant `meter`",
            ),
            (
                with(base.clone(), "/classes/1/statistics/0/kind", json!("histogram"))?,
                "initialize: class disk: histogram temperature has no bins",
            ),
            (
                with(base.clone(), "/classes/1/statistics/0/bins", json!([1, 5, 5]))?,
                "initialize: class disk: statistic temperature has bins but is not a histogram",
            ),
            (
                with(base.clone(), "/classes/1/alerts/0/severity", json!("critical"))?,
                "initialize: class disk: alert disk_failed: unknown variant `critical`, expected one of `info`, `warning`, `error`",
            ),
            (
                with(base.clone(), "/classes/1/alerts/0/attribute", json!("health"))?,
                "initialize: class disk: alert disk_failed: attribute health is not declared",
            ),
            (
                with(base.clone(), "/classes/1/alerts/0/bad_values", json!(["broken"]))?,
                "initialize: class disk: alert disk_failed: bad value status must be one of \"ok\", \"failed\", \"locating\", got \"broken\"",
            ),
            (
                with(base.clone(), "/classes/1/alerts/0/message", json!("disk {serail} failed"))?,
                "initialize: class disk: alert disk_failed: message names {serail}, which is not an attribute of disk",
            ),
            (
                with(
                    base.clone(),
                    "/classes/1/alerts/0",
                    json!({"name": "hot", "statistic": "temp", "above": 60, "severity": "warning", "message": "hot"}),
                )?,
                "initialize: class disk: alert hot: statistic temp is not declared",
            ),
            (
                with(
                    base.clone(),
                    "/classes/1/alerts/0",
                    json!({"name": "hot", "statistic": "temperature", "severity": "warning", "message": "hot"}),
                )?,
                "initialize: class disk: alert hot: a statistic alert needs above or below",
            ),
            (
                with(
                    base.clone(),
                    "/classes/1/alerts/0",
                    json!({"name": "hot", "severity": "warning", "message": "hot"}),
                )?,
                "initialize: class disk: alert hot: names neither an attribute nor a statistic",
            ),
            (
                with(base.clone(), "/classes/1/actions/0/args", json!([{"name": "seconds", "type": "float"}]))?,
                "initialize: class disk: action locate: argument seconds: unknown variant `float`",
            ),
            (
                with(
                    base.clone(),
                    "/classes/1/actions/0/args",
                    json!([{"name": "n", "type": "integer"}, {"name": "n", "type": "string"}]),
                )?,
                "initialize: class disk: action locate: argument n is declared twice",
            ),
        ];
        for (answer, expected) in cases {
            let message = error(check_initialize(&answer, "shelf"));
            assert!(
                message.contains(expected),
                "expected {expected:?}\n     got {message:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn histogram_bins_must_ascend() -> anyhow::Result<()> {
        let base = shelf_initialize()?;
        let stat = |bins: Value| json!({"name": "latency", "kind": "histogram", "unit": "ms", "bins": bins});
        let ok = with(base.clone(), "/classes/1/statistics/0", stat(json!([1, 5, 10.5, 50])))?;
        check_initialize(&ok, "shelf")?;
        for bins in [json!([]), json!([1, 5, 5]), json!([10, 5])] {
            let answer = with(base.clone(), "/classes/1/statistics/0", stat(bins.clone()))?;
            let message = error(check_initialize(&answer, "shelf"));
            assert!(
                message.starts_with("initialize: class disk: histogram latency"),
                "{bins}: {message}"
            );
        }
        let answer = with(
            base,
            "/classes/1/alerts/0",
            json!({"name": "slow", "statistic": "temperature", "above": 1, "bad_values": [1], "severity": "info", "message": "x"}),
        )?;
        assert!(error(check_initialize(&answer, "shelf")).contains("takes above or below, not bad_values"));
        Ok(())
    }

    // ---- detect ----

    /// A plugin with a class of every attribute type.
    fn every_type() -> anyhow::Result<Definition> {
        let answer = json!({"protocol": 1, "name": "types", "version": "1", "levels": ["detect", "monitor", "configure"],
        "classes": [
          {"name": "shelf", "attributes": [{"name": "name", "type": "string"}],
           "identity": {"scope": "global", "attributes": ["name"]}},
          {"name": "thing", "attributes": [
            {"name": "s", "type": "string"}, {"name": "i", "type": "integer"}, {"name": "b", "type": "bytes"},
            {"name": "e", "type": "enum", "values": ["x", "y"]}, {"name": "f", "type": "boolean"},
            {"name": "h", "type": "hostname"}, {"name": "p", "type": "path"}, {"name": "u", "type": "uuid"},
            {"name": "r", "type": "reference", "class": "shelf", "optional": true}],
           "identity": {"scope": "parent", "attributes": ["i"]},
           "statistics": [{"name": "load", "kind": "gauge"}, {"name": "ops", "kind": "counter"},
                          {"name": "lat", "kind": "histogram", "bins": [1, 10]}],
           "alerts": [{"name": "hot", "statistic": "load", "above": 90, "severity": "warning", "message": "{s} at {value}%"},
                      {"name": "idle", "statistic": "load", "below": 1, "severity": "info", "message": "{s} idle"},
                      {"name": "bad", "attribute": "e", "bad_values": ["y"], "severity": "error", "message": "{s} is {e}"}],
           "actions": [{"name": "resize", "args": [{"name": "size", "type": "bytes"},
                                                    {"name": "note", "type": "string", "optional": true}]}]}
        ]});
        Ok(check_initialize(&answer, "types")?)
    }

    fn thing_attributes() -> Value {
        json!({"s": "a", "i": -3, "b": 0, "e": "x", "f": true, "h": "oss1.lab", "p": "/dev/sda",
               "u": "0190f4d2-7a3b-7c4d-8e5f-6a7b8c9d0e1f", "r": "shelf-0"})
    }

    fn things(attributes: Value) -> Value {
        json!({"resources": [
            {"id": "shelf-0", "class": "shelf", "attributes": {"name": "zero"}},
            {"id": "disk-9", "class": "thing", "parent": "shelf-0", "attributes": attributes}
        ]})
    }

    #[test]
    fn the_spec_example_detect_passes() -> anyhow::Result<()> {
        let def = shelf()?;
        let inventory = shelf_inventory(&def)?;
        assert_eq!(inventory.len(), 5);
        assert_eq!(
            inventory.get("disk-3").and_then(|d| d.parent.as_deref()),
            Some("shelf-0")
        );
        assert!(inventory.relationships().is_empty());
        Ok(())
    }

    #[test]
    fn every_attribute_type_accepts_good_values() -> anyhow::Result<()> {
        let def = every_type()?;
        check_detect(&def, &things(thing_attributes()))?;
        for (key, value) in [
            ("i", json!(9_007_199_254_740_993_u64)),
            ("b", json!(4_000_787_030_016_u64)),
            ("h", json!("10.0.0.2")),
            ("h", json!("fe80::1")),
            ("h", json!("oss1")),
            ("h", json!("mds-1.example.com.")),
            ("s", json!("")),
            ("s", json!("é".repeat(4096))),
        ] {
            let attributes = with(thing_attributes(), &format!("/{key}"), value.clone())?;
            check_detect(&def, &things(attributes)).map_err(|e| anyhow::anyhow!("{key} = {value}: {e}"))?;
        }
        Ok(())
    }

    #[test]
    fn every_attribute_type_refuses_bad_values() -> anyhow::Result<()> {
        let def = every_type()?;
        let cases = [
            ("s", json!(7), "s must be a string of at most 4096 characters, got 7"),
            (
                "s",
                json!("x".repeat(4097)),
                "s must be a string of at most 4096 characters, got \"xxx",
            ),
            ("i", json!("three"), "i must be an integer, got \"three\""),
            ("i", json!(3.5), "i must be an integer, got 3.5"),
            ("i", json!(3.0), "i must be an integer, got 3.0"),
            ("b", json!(-1), "b must be a non-negative integer, got -1"),
            ("e", json!("z"), "e must be one of \"x\", \"y\", got \"z\""),
            ("f", json!("yes"), "f must be true or false, got \"yes\""),
            (
                "h",
                json!("bad host!"),
                "h must be a host name or IP address, got \"bad host!\"",
            ),
            ("h", json!("-oss1"), "h must be a host name or IP address"),
            ("h", json!("10.0.0.300"), "h must be a host name or IP address"),
            ("h", json!(""), "h must be a host name or IP address"),
            (
                "p",
                json!("dev/sda"),
                "p must be an absolute path of at most 4096 bytes, got \"dev/sda\"",
            ),
            ("p", json!("/dev/\u{0}sda"), "p must be an absolute path"),
            ("u", json!("not-a-uuid"), "u must be a UUID, got \"not-a-uuid\""),
            (
                "r",
                json!("disk-9"),
                "r must be the id of a shelf resource, got \"disk-9\"",
            ),
            (
                "r",
                json!("shelf-7"),
                "r must be the id of a shelf resource, got \"shelf-7\"",
            ),
            (
                "s",
                Value::Null,
                "s must be a string of at most 4096 characters, got null",
            ),
        ];
        for (key, value, expected) in cases {
            let attributes = with(thing_attributes(), &format!("/{key}"), value)?;
            let message = error(check_detect(&def, &things(attributes)));
            let expected = format!("detect: resource disk-9: attribute {expected}");
            assert!(
                message.starts_with(&expected),
                "expected {expected:?}\n     got {message:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn the_spec_attribute_error_reads_as_documented() -> anyhow::Result<()> {
        let def = shelf()?;
        let detect = json!({"resources": [
            {"id": "shelf-0", "class": "shelf", "attributes": {"name": "shelf 0"}},
            {"id": "disk-9", "class": "disk", "parent": "shelf-0",
             "attributes": {"slot": "three", "serial": "S", "status": "ok"}}]});
        assert_eq!(
            error(check_detect(&def, &detect)),
            "detect: resource disk-9: attribute slot must be an integer, got \"three\""
        );
        Ok(())
    }

    #[test]
    fn resources_must_be_well_formed() -> anyhow::Result<()> {
        let def = every_type()?;
        let shelf = |id: Value| json!({"id": id, "class": "shelf", "attributes": {"name": "x"}});
        let cases = [
            (json!({"resources": {}}), "detect: resources must be a list, got {}"),
            (
                json!({"resources": [shelf(json!(""))]}),
                "detect: resource #1: id \"\" must be 1 to 128 characters",
            ),
            (
                json!({"resources": [shelf(json!("x".repeat(129)))]}),
                "detect: resource #1: id \"xxx",
            ),
            (
                json!({"resources": [shelf(json!(4))]}),
                "detect: resource #1: id must be a string, got 4",
            ),
            (
                json!({"resources": [{"class": "shelf"}]}),
                "detect: resource #1: id must be a string, got nothing",
            ),
            (
                json!({"resources": [{"id": "a", "attributes": {}}]}),
                "detect: resource a: missing field `class`",
            ),
            (
                json!({"resources": [shelf(json!("a")), {"id": "a", "class": "shelf", "attributes": {"name": "y"}}]}),
                "detect: resource id a is used twice",
            ),
            (
                json!({"resources": [{"id": "a", "class": "rack", "attributes": {}}]}),
                "detect: resource a: class rack is not declared",
            ),
            (
                json!({"resources": [{"id": "a", "class": "shelf", "parent": "b", "attributes": {"name": "x"}}]}),
                "detect: resource a: parent b is not a resource",
            ),
            (
                json!({"resources": [{"id": "a", "class": "shelf", "attributes": {}}]}),
                "detect: resource a: attribute name is missing",
            ),
            (
                json!({"resources": [{"id": "a", "class": "shelf", "attributes": {"name": "x", "colour": "red"}}]}),
                "detect: resource a: attribute colour is not declared for class shelf",
            ),
        ];
        for (answer, expected) in cases {
            let message = error(check_detect(&def, &answer));
            assert!(
                message.starts_with(expected),
                "expected {expected:?}\n     got {message:?}"
            );
        }
        let id = "x".repeat(128);
        check_detect(&def, &json!({"resources": [shelf(json!(id))]}))?;
        Ok(())
    }

    #[test]
    fn an_optional_attribute_may_be_absent_or_null() -> anyhow::Result<()> {
        let def = every_type()?;
        let mut attributes = thing_attributes();
        if let Some(object) = attributes.as_object_mut() {
            object.remove("r");
        }
        check_detect(&def, &things(attributes))?;
        let inventory = check_detect(&def, &things(with(thing_attributes(), "/r", Value::Null)?))?;
        let thing = inventory.get("disk-9").ok_or_else(|| anyhow::anyhow!("no disk-9"))?;
        assert!(!thing.attributes.contains_key("r"), "null was kept");
        Ok(())
    }

    #[test]
    fn identities_are_unique_in_their_scope() -> anyhow::Result<()> {
        let def = shelf()?;
        let disk = |id: &str, parent: &str, slot: i64| {
            json!({"id": id, "class": "disk", "parent": parent,
                   "attributes": {"slot": slot, "serial": id, "status": "ok"}})
        };
        let shelf = |id: &str, name: &str| json!({"id": id, "class": "shelf", "attributes": {"name": name}});
        // The same slot in two shelves is fine.
        let ok =
            json!({"resources": [shelf("s0", "zero"), shelf("s1", "one"), disk("d0", "s0", 1), disk("d1", "s1", 1)]});
        check_detect(&def, &ok)?;
        let twice = json!({"resources": [shelf("s0", "zero"), disk("d0", "s0", 1), disk("d1", "s0", 1)]});
        assert_eq!(
            error(check_detect(&def, &twice)),
            "detect: resources d0 and d1 have the same identity (slot 1) among the disk resources under s0"
        );
        // Long values that differ only after the part an error message shows are different.
        let long = |end: &str| format!("{}{end}", "n".repeat(200));
        check_detect(
            &def,
            &json!({"resources": [shelf("s0", &long("a")), shelf("s1", &long("b"))]}),
        )?;
        let global = json!({"resources": [shelf("s0", "zero"), shelf("s1", "zero")]});
        assert_eq!(
            error(check_detect(&def, &global)),
            "detect: resources s0 and s1 have the same identity (name \"zero\") among class shelf"
        );
        Ok(())
    }

    #[test]
    fn relationships_must_join_known_resources() -> anyhow::Result<()> {
        let def = every_type()?;
        let resources = json!([
            {"id": "a", "class": "shelf", "attributes": {"name": "a"}},
            {"id": "b", "class": "shelf", "attributes": {"name": "b"}}]);
        let answer = |relationships: Value| json!({"resources": resources.clone(), "relationships": relationships});
        check_detect(&def, &answer(json!([{"from": "a", "to": "b", "kind": "built_on"}])))?;
        let cases = [
            (json!([{"from": "a", "to": "c", "kind": "built_on"}]), "detect: relationship a → c (built_on): c is not a resource"),
            (json!([{"from": "z", "to": "b", "kind": "built_on"}]), "detect: relationship z → b (built_on): z is not a resource"),
            (
                json!([{"from": "a", "to": "b", "kind": "Built-On"}]),
                "detect: relationship a → b (Built-On): kind \"Built-On\" must be a lower-case word (a-z and _, at most 32)",
            ),
            (json!([{"from": "a", "to": "b", "kind": "raid5"}]), "kind \"raid5\" must be a lower-case word"),
            (
                json!([{"from": "a", "to": "b", "kind": "uses"}, {"from": "a", "to": "b", "kind": "uses"}]),
                "detect: relationship a → b (uses) is listed twice",
            ),
            (json!([{"from": "a", "to": "b"}]), "detect: relationship #1: missing field `kind`"),
            (json!({}), "detect: relationships must be a list, got {}"),
        ];
        for (relationships, expected) in cases {
            let message = error(check_detect(&def, &answer(relationships)));
            assert!(
                message.contains(expected),
                "expected {expected:?}\n     got {message:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_cycle_is_reported_with_its_path() -> anyhow::Result<()> {
        let def = every_type()?;
        let shelf = |id: &str, parent: Option<&str>| json!({"id": id, "class": "shelf", "parent": parent, "attributes": {"name": id}});
        let answer = json!({"resources": [shelf("lun-0", None), shelf("pool-0", None)],
            "relationships": [{"from": "lun-0", "to": "pool-0", "kind": "built_on"},
                              {"from": "pool-0", "to": "lun-0", "kind": "built_on"}]});
        assert_eq!(
            error(check_detect(&def, &answer)),
            "detect: a cycle: lun-0 → pool-0 → lun-0"
        );

        // Through a parent link: c's parent is b, b's parent is a, and a is built on c.
        let answer = json!({"resources": [shelf("a", None), shelf("b", Some("a")), shelf("c", Some("b"))],
            "relationships": [{"from": "a", "to": "c", "kind": "built_on"}]});
        assert_eq!(error(check_detect(&def, &answer)), "detect: a cycle: a → c → b → a");

        let answer = json!({"resources": [shelf("a", Some("a"))]});
        assert_eq!(error(check_detect(&def, &answer)), "detect: a cycle: a → a");

        // A diamond is not a cycle.
        let answer = json!({"resources": [shelf("a", None), shelf("b", None), shelf("c", None), shelf("d", None)],
            "relationships": [{"from": "a", "to": "b", "kind": "uses"}, {"from": "a", "to": "c", "kind": "uses"},
                              {"from": "b", "to": "d", "kind": "uses"}, {"from": "c", "to": "d", "kind": "uses"}]});
        check_detect(&def, &answer)?;
        Ok(())
    }

    #[test]
    fn a_long_chain_of_parents_does_not_overflow() -> anyhow::Result<()> {
        let def = every_type()?;
        let resources: Vec<Value> = (0..MAX_RESOURCES)
            .map(|i| {
                let parent = (i > 0).then(|| format!("s{}", i - 1));
                json!({"id": format!("s{i}"), "class": "shelf", "parent": parent, "attributes": {"name": format!("{i}")}})
            })
            .collect();
        let inventory = check_detect(&def, &json!({"resources": resources}))?;
        assert_eq!(inventory.len(), MAX_RESOURCES);
        Ok(())
    }

    #[test]
    fn more_than_100000_resources_are_refused() -> anyhow::Result<()> {
        let def = every_type()?;
        let resources = vec![json!({}); MAX_RESOURCES + 1];
        assert_eq!(
            error(check_detect(&def, &json!({"resources": resources}))),
            "detect: 100001 resources, more than the 100000 allowed"
        );
        Ok(())
    }

    // ---- monitor ----

    #[test]
    fn the_spec_example_monitor_passes() -> anyhow::Result<()> {
        let def = shelf()?;
        let mut inventory = shelf_inventory(&def)?;
        let readings = check_monitor(&def, &inventory, &serde_json::from_str(SHELF_MONITOR)?)?;
        assert_eq!(readings.statistics.len(), 4);
        assert_eq!(readings.numbers("disk-3").get("temperature"), Some(&33.0));
        let failed = json!({"attributes": [{"resource": "disk-1", "values": {"status": "failed"}}]});
        let readings = check_monitor(&def, &inventory, &failed)?;
        inventory.apply(&readings);
        assert_eq!(
            inventory.get("disk-1").and_then(|d| d.attributes.get("status")),
            Some(&json!("failed"))
        );
        Ok(())
    }

    #[test]
    fn monitor_errors_name_what_is_wrong() -> anyhow::Result<()> {
        let def = every_type()?;
        let inventory = check_detect(&def, &things(thing_attributes()))?;
        let stat = |resource: &str, name: &str, value: Value| json!({"statistics": [{"resource": resource, "name": name, "value": value}]});
        let update = |values: Value| json!({"attributes": [{"resource": "disk-9", "values": values}]});
        check_monitor(&def, &inventory, &stat("disk-9", "load", json!(12.5)))?;
        check_monitor(&def, &inventory, &stat("disk-9", "lat", json!([0, 4, 1])))?;
        check_monitor(&def, &inventory, &update(json!({"e": "y", "r": null})))?;
        check_monitor(&def, &inventory, &json!({}))?;
        let cases = [
            (
                json!("nothing"),
                "monitor: the result must be an object, got \"nothing\"",
            ),
            (
                stat("disk-7", "load", json!(1)),
                "monitor: resource disk-7 was not detected",
            ),
            (
                stat("disk-9", "heat", json!(1)),
                "monitor: resource disk-9: statistic heat is not declared for class thing",
            ),
            (
                stat("shelf-0", "load", json!(1)),
                "monitor: resource shelf-0: statistic load is not declared for class shelf",
            ),
            (
                stat("disk-9", "load", json!("high")),
                "monitor: resource disk-9: statistic load must be a number, got \"high\"",
            ),
            (
                stat("disk-9", "ops", json!(null)),
                "monitor: resource disk-9: statistic ops must be a number, got null",
            ),
            (
                stat("disk-9", "lat", json!([1, 2])),
                "monitor: resource disk-9: statistic lat must be a list of 3 non-negative integers, got [1,2]",
            ),
            (
                stat("disk-9", "lat", json!([1, -2, 3])),
                "statistic lat must be a list of 3 non-negative integers",
            ),
            (
                stat("disk-9", "lat", json!(5)),
                "statistic lat must be a list of 3 non-negative integers",
            ),
            (
                json!({"statistics": [{"resource": "disk-9", "name": "load", "value": 1},
                                      {"resource": "disk-9", "name": "load", "value": 2}]}),
                "monitor: resource disk-9: statistic load is reported twice",
            ),
            (
                json!({"statistics": [{"resource": "disk-9"}]}),
                "monitor: statistic #1: missing field `name`",
            ),
            (json!({"statistics": 5}), "monitor: statistics must be a list, got 5"),
            (
                update(json!({"colour": "red"})),
                "monitor: resource disk-9: attribute colour is not declared for class thing",
            ),
            (
                update(json!({"e": "z"})),
                "monitor: resource disk-9: attribute e must be one of \"x\", \"y\", got \"z\"",
            ),
            (
                update(json!({"s": null})),
                "monitor: resource disk-9: attribute s must be a string",
            ),
            (
                update(json!({"r": "disk-9"})),
                "monitor: resource disk-9: attribute r must be the id of a shelf resource",
            ),
            (
                update(json!({"i": 4})),
                "monitor: resource disk-9: attribute i identifies the resource and changes only in detect",
            ),
            (
                json!({"attributes": [{"resource": "disk-9", "values": {}}, {"resource": "disk-9", "values": {}}]}),
                "monitor: resource disk-9: attributes are reported twice",
            ),
        ];
        for (answer, expected) in cases {
            let message = error(check_monitor(&def, &inventory, &answer));
            assert!(
                message.contains(expected),
                "expected {expected:?}\n     got {message:?}"
            );
        }
        Ok(())
    }

    // ---- configure ----

    #[test]
    fn configure_requests_match_the_action() -> anyhow::Result<()> {
        let def = every_type()?;
        let inventory = check_detect(&def, &things(thing_attributes()))?;
        let params = |resource: &str, action: &str, args: Value| -> anyhow::Result<ConfigureParams> {
            Ok(serde_json::from_value(
                json!({"action": action, "resource": resource, "args": args}),
            )?)
        };
        check_configure(&def, &inventory, &params("disk-9", "resize", json!({"size": 10}))?)?;
        check_configure(
            &def,
            &inventory,
            &params("disk-9", "resize", json!({"size": 10, "note": "x"}))?,
        )?;
        let cases = [
            (
                params("disk-7", "resize", json!({}))?,
                "configure: resource disk-7 was not detected",
            ),
            (
                params("shelf-0", "resize", json!({}))?,
                "configure: class shelf has no action resize (resource shelf-0)",
            ),
            (
                params("disk-9", "resize", json!({}))?,
                "configure: action resize: argument size is missing",
            ),
            (
                params("disk-9", "resize", json!({"size": "big"}))?,
                "configure: action resize: argument size must be a non-negative integer, got \"big\"",
            ),
            (
                params("disk-9", "resize", json!({"size": 1, "force": true}))?,
                "configure: action resize takes no argument force",
            ),
        ];
        for (params, expected) in cases {
            assert_eq!(error(check_configure(&def, &inventory, &params)), expected);
        }
        assert_eq!(check_configure_result(&json!({"message": "done"}))?.message, "done");
        assert!(error(check_configure_result(&json!({}))).starts_with("configure: the result must be"));
        Ok(())
    }

    // ---- alerts ----

    fn attributes(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_bad_attribute_value_raises_its_alert() -> anyhow::Result<()> {
        let def = shelf()?;
        let failed = attributes(json!({"slot": 3, "serial": "SHELF0003", "status": "failed"}));
        let raised = alerts(&def, "disk", &failed, &BTreeMap::new());
        assert_eq!(
            raised,
            [RaisedAlert {
                name: "disk_failed".to_owned(),
                severity: Severity::Error,
                message: "disk SHELF0003 in slot 3 has failed".to_owned(),
            }]
        );
        let ok = attributes(json!({"slot": 3, "serial": "SHELF0003", "status": "ok"}));
        assert!(alerts(&def, "disk", &ok, &BTreeMap::new()).is_empty());
        assert!(alerts(&def, "rack", &failed, &BTreeMap::new()).is_empty());
        Ok(())
    }

    #[test]
    fn a_statistic_beyond_its_bound_raises_its_alert() -> anyhow::Result<()> {
        let def = every_type()?;
        let thing = attributes(json!({"s": "array A", "e": "x"}));
        let load = |v: f64| BTreeMap::from([("load".to_owned(), v)]);
        let raised = alerts(&def, "thing", &thing, &load(95.5));
        assert_eq!(raised.len(), 1);
        assert_eq!(
            (raised[0].name.as_str(), raised[0].message.as_str()),
            ("hot", "array A at 95.5%")
        );
        assert_eq!(alerts(&def, "thing", &thing, &load(97.0))[0].message, "array A at 97%");
        assert_eq!(alerts(&def, "thing", &thing, &load(0.5))[0].message, "array A idle");
        assert_eq!(alerts(&def, "thing", &thing, &load(0.5))[0].severity, Severity::Info);
        assert!(
            alerts(&def, "thing", &thing, &load(90.0)).is_empty(),
            "the bound itself is not above it"
        );
        assert!(alerts(&def, "thing", &thing, &load(50.0)).is_empty());
        assert!(
            alerts(&def, "thing", &thing, &BTreeMap::new()).is_empty(),
            "no reading, no alert"
        );
        Ok(())
    }

    #[test]
    fn alerts_are_evaluated_together() -> anyhow::Result<()> {
        let def = every_type()?;
        let thing = attributes(json!({"s": "array A", "e": "y"}));
        let raised = alerts(&def, "thing", &thing, &BTreeMap::from([("load".to_owned(), 99.0)]));
        let names: Vec<&str> = raised.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["hot", "bad"]);
        assert_eq!(raised[1].message, "array A is y");
        Ok(())
    }

    #[test]
    fn message_placeholders_are_filled() {
        let values = attributes(json!({"serial": "Z1X3", "slot": 3, "ok": false}));
        assert_eq!(
            fill("disk {serial} slot {slot} {ok}: {value} °C", &values, "61"),
            "disk Z1X3 slot 3 false: 61 °C"
        );
        // Unknown or unclosed braces stay as written.
        assert_eq!(fill("{missing} {serial", &values, "1"), "{missing} {serial");
        assert_eq!(fill("{{serial}}", &values, "1"), "{Z1X3}");
    }
}
