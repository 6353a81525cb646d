//! Importing a project's buildings (楼栋) and units (户) from a CSV file.
//!
//! # The file
//!
//! UTF-8 text (a leading byte-order mark, as Excel's "CSV UTF-8" writes, is ignored), comma
//! separated, with a header line and one line per unit:
//!
//! ```text
//! building_id,building_name,floors,unit_id,unit_label,floor,position,handover
//! licheng-b3,3栋,18,licheng-b3-0101,3-101,1,1,2027-01-08
//! licheng-b3,3栋,18,licheng-b3-0102,3-102,1,2,2027-01-08
//! ```
//!
//! | column          | meaning                                     | rule                                  |
//! |-----------------|---------------------------------------------|---------------------------------------|
//! | `building_id`   | the building's id                           | an id: `[A-Za-z0-9._:-]`, ≤ 64 bytes  |
//! | `building_name` | 楼栋名称, e.g. `3栋`                        | one line, not empty, ≤ 64 characters  |
//! | `floors`        | 总层数, floors above ground                 | 1 to [`MAX_FLOORS`]                   |
//! | `unit_id`       | the unit's id (also names its document)     | an id, unique on the whole server     |
//! | `unit_label`    | 房号, what people call it, e.g. `3-101`     | one line, not empty, ≤ 64 characters, unique in its building |
//! | `floor`         | 楼层                                        | 1 to the building's `floors`          |
//! | `position`      | 位置, the unit's place on its floor         | 1 to [`MAX_UNITS_PER_FLOOR`], one unit per floor and position |
//! | `handover`      | 交付日期                                    | a date written `YYYY-MM-DD`           |
//!
//! The header must name exactly these eight columns, each once, in any order (spaces around a
//! name and its letter case do not matter); a missing, unknown or repeated column is reported
//! and no row is read. Spaces around values are ignored, values may be
//! quoted, and lines that are empty (or only commas, as spreadsheets sometimes leave at the end)
//! are skipped.
//!
//! # What an import does
//!
//! It only **adds**: new units to buildings the project already has, and new buildings. A
//! building id that the project already has must come with the project's name and floor count
//! for it; a unit id that already exists anywhere on the server is refused. Every row of one
//! building must give it the same name and floor count.
//!
//! The result is the project with the new units merged in: units are appended to their
//! building and the building's units put back in floor-then-position order; new buildings come
//! after the existing ones, in the order they first appear in the file.
//!
//! # Errors
//!
//! Every row is checked and **every** problem is reported with its 1-based line number (the
//! line a row starts on, counting the header as line 1), in a sentence an office clerk can act
//! on. If there is any problem, nothing is imported. Problems with the file as a whole (empty,
//! larger than [`MAX_FILE_BYTES`], more than [`MAX_ROWS`] units) are reported too.
//!
//! [`parse_units_csv`] is pure; `unit_import::import_units` loads the project, calls it and writes
//! the documents.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::demo::{MAX_FLOORS, MAX_UNITS_PER_FLOOR};
use crate::ids::{BuildingId, UnitId};
use crate::project::{Building, Project, Unit};
use chrono::NaiveDate;

/// The largest file accepted, in bytes (5 MiB).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The most units one file may hold.
pub const MAX_ROWS: usize = 20_000;
/// The longest building name or unit label, in characters.
pub const MAX_TEXT_CHARS: usize = 64;
/// The header's columns, in the documented order.
pub const COLUMNS: [&str; 8] = [
    "building_id",
    "building_name",
    "floors",
    "unit_id",
    "unit_label",
    "floor",
    "position",
    "handover",
];

/// One problem with an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The 1-based line it is on, or `None` for the file as a whole.
    pub line: Option<usize>,
    /// What is wrong, for a person.
    pub message: String,
}

impl ImportError {
    fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }

    fn file(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Every problem found in an import file, in line order; when there is one, nothing is
/// imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportErrors(pub Vec<ImportError>);

impl ImportErrors {
    /// The line numbers of the problems (file-wide problems are left out).
    pub fn lines(&self) -> Vec<usize> {
        self.0.iter().filter_map(|e| e.line).collect()
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "nothing was imported: the file has {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

impl From<ImportError> for ImportErrors {
    fn from(e: ImportError) -> Self {
        Self(vec![e])
    }
}

/// What an import added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Buildings the project did not have.
    pub buildings_added: usize,
    /// Existing buildings that received units.
    pub buildings_extended: usize,
    /// Units added.
    pub units_added: usize,
}

impl ImportSummary {
    /// What `after` has that `before` had not.
    pub fn between(before: &Project, after: &Project) -> Self {
        let mut summary = Self::default();
        for b in &after.buildings {
            match before.buildings.iter().find(|old| old.id == b.id) {
                None => {
                    summary.buildings_added += 1;
                    summary.units_added += b.units.len();
                }
                Some(old) => {
                    let added = b
                        .units
                        .iter()
                        .filter(|u| !old.units.iter().any(|o| o.id == u.id))
                        .count();
                    if added > 0 {
                        summary.buildings_extended += 1;
                        summary.units_added += added;
                    }
                }
            }
        }
        summary
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        write!(
            f,
            "added {} {} (户): {} new {} (楼栋), {} existing {} extended",
            self.units_added,
            plural(self.units_added, "unit", "units"),
            self.buildings_added,
            plural(self.buildings_added, "building", "buildings"),
            self.buildings_extended,
            plural(self.buildings_extended, "building", "buildings"),
        )
    }
}

/// Checks that an import file's bytes are UTF-8 text of at most [`MAX_FILE_BYTES`], skipping a
/// byte-order mark.
pub fn decode(bytes: &[u8]) -> Result<&str, ImportErrors> {
    check_size(bytes.len())?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        ImportError::at(
            line,
            "the file is not UTF-8 text (it may have been saved as GBK/ANSI); \
             in Excel, save it as \"CSV UTF-8 (逗号分隔)\"",
        )
        .into()
    })
}

fn check_size(bytes: usize) -> Result<(), ImportErrors> {
    if bytes > MAX_FILE_BYTES {
        return Err(ImportError::file(format!(
            "the file is {bytes} bytes; at most {MAX_FILE_BYTES} (5 MiB) are accepted, \
             so split it into several files"
        ))
        .into());
    }
    Ok(())
}

/// Parses and checks an import file against `project` and returns the project with the new
/// buildings and units merged in (see the module docs). Pure: nothing is read or written.
pub fn parse_units_csv(project: &Project, text: &str) -> Result<Project, ImportErrors> {
    parse_units_csv_against(project, text, &HashSet::new())
}

/// [`parse_units_csv`], also refusing the unit ids in `taken`: units whose documents exist on
/// the server (possibly in another project, since a unit's id names its document).
pub fn parse_units_csv_against(
    project: &Project,
    text: &str,
    taken: &HashSet<UnitId>,
) -> Result<Project, ImportErrors> {
    check_size(text.len())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    let mut errors = Vec::new();
    let columns = loop {
        match records.next() {
            None => {
                return Err(ImportError::file(format!(
                    "the file is empty; its first line must be the header `{}`, \
                     followed by one line per unit",
                    COLUMNS.join(",")
                ))
                .into());
            }
            Some(Err(e)) => {
                return Err(
                    ImportError::at(1, format!("the header cannot be read as CSV: {e}")).into(),
                );
            }
            Some(Ok(record)) if is_blank(&record) => continue,
            Some(Ok(record)) => break header(&record, &mut errors),
        }
    };
    let Some(columns) = columns else {
        return Err(ImportErrors(errors));
    };

    let mut check = Checker::new(project, taken);
    let mut lines = Lines::new(text);
    let mut rows = Vec::new();
    let mut count = 0;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = lines.at(e.position());
                errors.push(ImportError::at(
                    line,
                    format!("this line cannot be read as CSV: {e}"),
                ));
                continue;
            }
        };
        let line = lines.at(record.position());
        if is_blank(&record) {
            continue;
        }
        count += 1;
        if count > MAX_ROWS {
            errors.push(ImportError::at(
                line,
                format!("the file has more than {MAX_ROWS} units; split it into several files"),
            ));
            break;
        }
        if record.len() != COLUMNS.len() {
            errors.push(ImportError::at(
                line,
                format!(
                    "{} values, but the header has {} columns; check for a missing or extra comma",
                    record.len(),
                    COLUMNS.len()
                ),
            ));
            continue;
        }
        let field = |name: usize| record.get(columns[name]).unwrap_or_default().trim();
        let before = errors.len();
        let row = parse_row(line, &field, &mut errors);
        check.row(line, &row, &mut errors);
        if errors.len() == before
            && let Some(row) = row.complete()
        {
            rows.push(row);
        }
    }
    if count == 0 && errors.is_empty() {
        errors.push(ImportError::file(
            "the file has a header but no units; add one line per unit under it",
        ));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportErrors(errors));
    }
    Ok(merge(project, rows))
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

/// Line numbers of records, from the byte offsets the CSV reader gives.
///
/// The reader's own line count skips empty lines, and a record's offset is where the reader
/// started looking for it, before any empty lines; so the line is counted here, from the first
/// byte after those. Offsets only grow, so each call counts only the bytes since the last one.
struct Lines<'t> {
    text: &'t str,
    byte: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record (or error) at `position`.
    fn at(&mut self, position: Option<&csv::Position>) -> usize {
        let Some(start) = position.and_then(|p| usize::try_from(p.byte()).ok()) else {
            return self.line;
        };
        let bytes = self.text.as_bytes();
        let skipped = bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let start = (start + skipped).min(bytes.len());
        if start > self.byte {
            self.line += bytes[self.byte..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.byte = start;
        }
        self.line
    }
}

/// Maps the header to the column index of each of [`COLUMNS`], or records why it cannot.
fn header(record: &csv::StringRecord, errors: &mut Vec<ImportError>) -> Option<[usize; 8]> {
    let expected = COLUMNS.join(",");
    let names: Vec<String> = record.iter().map(|n| n.trim().to_lowercase()).collect();
    if !names.iter().any(|n| COLUMNS.contains(&n.as_str())) {
        errors.push(ImportError::at(
            1,
            format!("the first line must be the header `{expected}`; it is not"),
        ));
        return None;
    }
    let mut found: [Option<usize>; 8] = [None; 8];
    for (i, name) in names.iter().enumerate() {
        match COLUMNS.iter().position(|c| c == name) {
            Some(c) if found[c].is_some() => errors.push(ImportError::at(
                1,
                format!("column `{name}` appears twice in the header; keep one"),
            )),
            Some(c) => found[c] = Some(i),
            None if name.is_empty() => errors.push(ImportError::at(
                1,
                format!(
                    "column {} of the header has no name; the columns are `{expected}`",
                    i + 1
                ),
            )),
            None => errors.push(ImportError::at(
                1,
                format!("unknown column `{name}` in the header; the columns are `{expected}`"),
            )),
        }
    }
    for (c, name) in COLUMNS.iter().enumerate() {
        if found[c].is_none() {
            errors.push(ImportError::at(
                1,
                format!("the header has no `{name}` column; the columns are `{expected}`"),
            ));
        }
    }
    if !errors.is_empty() {
        return None;
    }
    let mut columns = [0; 8];
    for (slot, index) in columns.iter_mut().zip(found) {
        *slot = index?;
    }
    Some(columns)
}

/// A row's values, each `None` when it did not parse (and an error was recorded).
struct RowValues {
    building: Option<BuildingId>,
    building_name: Option<String>,
    floors: Option<u32>,
    unit: Option<UnitId>,
    label: Option<String>,
    floor: Option<u32>,
    position: Option<u32>,
    handover: Option<NaiveDate>,
}

/// A row with every value valid.
struct Row {
    building: BuildingId,
    building_name: String,
    floors: u32,
    unit: Unit,
}

impl RowValues {
    fn complete(self) -> Option<Row> {
        Some(Row {
            building: self.building?,
            building_name: self.building_name?,
            floors: self.floors?,
            unit: Unit {
                id: self.unit?,
                label: self.label?,
                floor: self.floor?,
                position: self.position?,
                handover: self.handover?,
            },
        })
    }
}

fn parse_row<'a>(
    line: usize,
    field: &impl Fn(usize) -> &'a str,
    errors: &mut Vec<ImportError>,
) -> RowValues {
    let mut fail = |message: String| errors.push(ImportError::at(line, message));
    let building = BuildingId::new(field(0))
        .map_err(|e| fail(e.to_string()))
        .ok();
    let building_name = text(field(1), "building_name (楼栋名称)", "3栋", &mut fail);
    let floors = number(field(2), "floors (总层数)", MAX_FLOORS, &mut fail);
    let unit = UnitId::new(field(3)).map_err(|e| fail(e.to_string())).ok();
    let label = text(field(4), "unit_label (房号)", "3-101", &mut fail);
    let floor = match (
        number(field(5), "floor (楼层)", MAX_FLOORS, &mut fail),
        floors,
    ) {
        (Some(floor), Some(floors)) if floor > floors => {
            fail(format!(
                "floor (楼层) {floor} is above the building's {floors} floors (总层数)"
            ));
            None
        }
        (floor, _) => floor,
    };
    let position = number(field(6), "position (位置)", MAX_UNITS_PER_FLOOR, &mut fail);
    let handover = date(field(7), &mut fail);
    RowValues {
        building,
        building_name,
        floors,
        unit,
        label,
        floor,
        position,
        handover,
    }
}

fn text(value: &str, what: &str, example: &str, fail: &mut impl FnMut(String)) -> Option<String> {
    if value.is_empty() {
        fail(format!("{what} is empty; give one, e.g. `{example}`"));
        None
    } else if value.contains(char::is_control) {
        let shown: String = value
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        fail(format!(
            "{what} `{shown}` has a line break or another control character; keep it on one line"
        ));
        None
    } else if value.chars().count() > MAX_TEXT_CHARS {
        let shown: String = value.chars().take(MAX_TEXT_CHARS).collect();
        fail(format!(
            "{what} `{shown}…` is longer than {MAX_TEXT_CHARS} characters"
        ));
        None
    } else {
        Some(value.to_owned())
    }
}

fn number(value: &str, what: &str, max: u32, fail: &mut impl FnMut(String)) -> Option<u32> {
    match value.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        Ok(n) => {
            fail(format!("{what} {n} is outside 1 to {max}"));
            None
        }
        Err(_) if value.is_empty() => {
            fail(format!(
                "{what} is empty; give a whole number from 1 to {max}"
            ));
            None
        }
        Err(_) => {
            fail(format!(
                "{what} `{value}` is not a whole number from 1 to {max}"
            ));
            None
        }
    }
}

fn date(value: &str, fail: &mut impl FnMut(String)) -> Option<NaiveDate> {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        let value: String = value.chars().take(40).collect();
        fail(format!(
            "handover (交付日期) `{value}` is not a date written YYYY-MM-DD, e.g. 2027-01-08 \
             (in Excel, format the column as text before saving)"
        ));
        return None;
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| fail(format!("handover (交付日期) `{value}` is not a real date")))
        .ok()
}

/// Where a thing was first seen: a line of the file, or the project as it stands.
#[derive(Clone, Copy)]
enum Seen {
    Line(usize),
    Project,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Line(line) => write!(f, "on line {line}"),
            Seen::Project => f.write_str("in the project"),
        }
    }
}

/// The checks across rows, against each other and against the project.
struct Checker<'a> {
    project: &'a Project,
    taken: &'a HashSet<UnitId>,
    /// Building → (name, floors, where first given).
    buildings: HashMap<BuildingId, (String, u32, Seen)>,
    units: HashMap<UnitId, Seen>,
    slots: HashMap<(BuildingId, u32, u32), (UnitId, Seen)>,
    labels: HashMap<(BuildingId, String), (UnitId, Seen)>,
}

impl<'a> Checker<'a> {
    fn new(project: &'a Project, taken: &'a HashSet<UnitId>) -> Self {
        let mut this = Self {
            project,
            taken,
            buildings: HashMap::new(),
            units: HashMap::new(),
            slots: HashMap::new(),
            labels: HashMap::new(),
        };
        for b in &project.buildings {
            this.buildings
                .insert(b.id.clone(), (b.name.clone(), b.floors, Seen::Project));
            for u in &b.units {
                this.units.insert(u.id.clone(), Seen::Project);
                this.slots.insert(
                    (b.id.clone(), u.floor, u.position),
                    (u.id.clone(), Seen::Project),
                );
                this.labels.insert(
                    (b.id.clone(), u.label.clone()),
                    (u.id.clone(), Seen::Project),
                );
            }
        }
        this
    }

    fn row(&mut self, line: usize, row: &RowValues, errors: &mut Vec<ImportError>) {
        let mut fail = |message: String| errors.push(ImportError::at(line, message));
        // A repeated unit would also repeat its floor, position and label: say it once.
        let mut repeated = false;
        if let Some(unit) = &row.unit {
            repeated = true;
            match self.units.get(unit) {
                Some(Seen::Line(first)) => {
                    fail(format!(
                        "unit `{unit}` appears twice (first on line {first})"
                    ));
                }
                Some(Seen::Project) => {
                    let building = self
                        .project
                        .unit(unit)
                        .map(|(b, _)| format!(" (building `{}` {})", b.id, b.name))
                        .unwrap_or_default();
                    fail(format!(
                        "unit `{unit}` is already in project `{}`{building}; \
                         the import only adds new units",
                        self.project.id
                    ));
                }
                None if self.taken.contains(unit) => fail(format!(
                    "unit `{unit}` already has a document on this server (in another project); \
                     give the unit another id"
                )),
                None => {
                    self.units.insert(unit.clone(), Seen::Line(line));
                    repeated = false;
                }
            }
        }
        let Some(building) = &row.building else {
            return;
        };
        if let (Some(name), Some(floors)) = (&row.building_name, row.floors) {
            match self.buildings.get(building) {
                None => {
                    self.buildings
                        .insert(building.clone(), (name.clone(), floors, Seen::Line(line)));
                }
                Some((first_name, first_floors, seen))
                    if first_name != name || *first_floors != floors =>
                {
                    let fix = match seen {
                        Seen::Line(_) => "give every row of a building the same name and floors",
                        Seen::Project => {
                            "the import only adds units, so use the project's name and floors"
                        }
                    };
                    fail(format!(
                        "building `{building}` is `{first_name}` with {first_floors} floors \
                         {seen}, but `{name}` with {floors} floors here; {fix}"
                    ));
                }
                Some(_) => {}
            }
        }
        let Some(unit) = row.unit.as_ref().filter(|_| !repeated) else {
            return;
        };
        if let (Some(floor), Some(position)) = (row.floor, row.position) {
            let slot = (building.clone(), floor, position);
            match self.slots.get(&slot) {
                Some((other, seen)) => fail(format!(
                    "building `{building}` floor {floor} position {position} is already \
                     unit `{other}` ({seen}); each floor and position holds one unit"
                )),
                None => {
                    self.slots.insert(slot, (unit.clone(), Seen::Line(line)));
                }
            }
        }
        if let Some(label) = &row.label {
            let key = (building.clone(), label.clone());
            match self.labels.get(&key) {
                Some((other, seen)) => fail(format!(
                    "unit_label (房号) `{label}` is already unit `{other}` of building \
                     `{building}` ({seen}); labels must differ within a building"
                )),
                None => {
                    self.labels.insert(key, (unit.clone(), Seen::Line(line)));
                }
            }
        }
    }
}

/// `project` with `rows` added: units appended to their buildings (new buildings after the
/// existing ones), each touched building's units in floor-then-position order.
fn merge(project: &Project, rows: Vec<Row>) -> Project {
    let mut merged = project.clone();
    let mut touched = HashSet::new();
    for row in rows {
        let index = match merged.buildings.iter().position(|b| b.id == row.building) {
            Some(i) => i,
            None => {
                merged.buildings.push(Building {
                    id: row.building.clone(),
                    name: row.building_name,
                    floors: row.floors,
                    units: Vec::new(),
                });
                merged.buildings.len() - 1
            }
        };
        merged.buildings[index].units.push(row.unit);
        touched.insert(index);
    }
    for index in touched {
        merged.buildings[index]
            .units
            .sort_by_key(|u| (u.floor, u.position));
    }
    merged
}
