//! Puts a schema together from one or more inputs: a whole project (project
//! XML, a snapshot) or a dictionary plus the API's other exports.

use crate::build::Parts;
use crate::error::Error;
use crate::model::ProjectSchema;
use crate::odm;
use crate::problem::{Problem, Problems};
use crate::read::api_json::Mapping;
use crate::read::{self, InputKind, Piece};
use crate::write::dictionary_csv::dictionary_rows;

/// Collects inputs, then checks them and builds a [`ProjectSchema`].
///
/// ```
/// let csv = "field_name,form_name,section_header,field_type,field_label\nrecord_id,demo,,text,ID\n";
/// let mut builder = redcap_schema::SchemaBuilder::new();
/// builder.add_input(csv.as_bytes(), "dictionary.csv")?;
/// let schema = builder.build()?;
/// assert_eq!(schema.record_id_field, "record_id");
/// # Ok::<(), redcap_schema::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct SchemaBuilder {
    parts: Parts,
    sources: Vec<String>,
    dictionary_from: Option<String>,
    project_info_given: bool,
    mappings: Vec<(String, Mapping)>,
    snapshot: Option<ProjectSchema>,
    /// What the readers noticed on the way (a dictionary header REDCap does not write).
    notes: Vec<Problem>,
}

impl SchemaBuilder {
    /// An empty builder.
    pub fn new() -> SchemaBuilder {
        SchemaBuilder::default()
    }

    /// Reads one input of any supported kind, detected from its content.
    pub fn add_input(&mut self, bytes: &[u8], source_name: &str) -> Result<(), Error> {
        let text = read::decode(bytes, source_name)?;
        if read::detect(text) == InputKind::ProjectXml {
            let project = odm::read_project_xml(text, source_name)?;
            return self.add_project(project.parts, source_name);
        }
        let (piece, notes) = read::read_piece_with_notes(text, source_name)?;
        self.add_piece(piece, source_name)?;
        self.notes.extend(notes);
        Ok(())
    }

    /// Reads a file of any supported kind.
    pub fn add_path(&mut self, path: &std::path::Path) -> Result<(), Error> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| Error::Io {
            source_name: name.clone(),
            error,
        })?;
        self.add_input(&bytes, &name)
    }

    fn clash(&self, source_name: &str, what: &str) -> Error {
        Error::Assemble {
            source_name: source_name.to_owned(),
            message: format!("{what} (already read: {})", self.sources.join(", ")),
        }
    }

    fn take_dictionary(&mut self, source_name: &str) -> Result<(), Error> {
        if self.snapshot.is_some() || self.dictionary_from.is_some() {
            return Err(self.clash(source_name, "a second data dictionary or whole project"));
        }
        self.dictionary_from = Some(source_name.to_owned());
        Ok(())
    }

    /// Adds a whole project read from project XML.
    pub fn add_project(&mut self, parts: Parts, source_name: &str) -> Result<(), Error> {
        if !self.sources.is_empty() {
            return Err(self.clash(
                source_name,
                "project XML is a whole project and cannot be combined",
            ));
        }
        self.take_dictionary(source_name)?;
        self.parts = parts;
        self.project_info_given = true;
        self.sources.push(source_name.to_owned());
        Ok(())
    }

    /// Adds one piece.
    pub fn add_piece(&mut self, piece: Piece, source_name: &str) -> Result<(), Error> {
        if self.snapshot.is_some() {
            return Err(self.clash(
                source_name,
                "a schema snapshot is a whole project and cannot be combined",
            ));
        }
        match piece {
            Piece::Snapshot(schema) => {
                if !self.sources.is_empty() {
                    return Err(self.clash(source_name, "a schema snapshot cannot be combined"));
                }
                self.snapshot = Some(*schema);
            }
            Piece::Dictionary(rows) => {
                self.take_dictionary(source_name)?;
                self.parts.rows = rows;
            }
            Piece::ProjectInfo(info) => {
                self.parts.project = info;
                self.project_info_given = true;
            }
            Piece::Arms(arms) => self.parts.arms = arms,
            Piece::Events(events) => self.parts.events = events,
            Piece::Mappings(mappings) => self
                .mappings
                .extend(mappings.into_iter().map(|m| (source_name.to_owned(), m))),
            Piece::Repeating(repeating) => self.parts.repeating = repeating,
            Piece::Instruments(labels) => self.parts.form_labels = labels,
            Piece::Dags(dags) => self.parts.dags = dags,
        }
        self.sources.push(source_name.to_owned());
        Ok(())
    }

    fn name(&self) -> String {
        self.sources.join(" + ")
    }

    /// The parts with mappings applied to events and defaults settled.
    fn finish(&self) -> Result<Parts, Error> {
        let mut parts = self.parts.clone();
        if self.dictionary_from.is_none() {
            return Err(Error::Assemble {
                source_name: self.name(),
                message: "no data dictionary, metadata or project XML among the inputs".into(),
            });
        }
        let form_order: Vec<String> = parts
            .form_labels
            .keys()
            .cloned()
            .chain(
                parts
                    .rows
                    .iter()
                    .map(|r| r.get(crate::dictionary::Column::FormName).to_owned()),
            )
            .collect();
        for (source_name, mapping) in &self.mappings {
            let Some(event) = parts
                .events
                .iter_mut()
                .find(|e| e.unique_name == mapping.event)
            else {
                return Err(Error::Assemble {
                    source_name: source_name.clone(),
                    message: format!(
                        "form-event mapping names event `{}`, which is not among the events read",
                        mapping.event
                    ),
                });
            };
            if !event.forms.contains(&mapping.form) {
                event.forms.push(mapping.form.clone());
            }
        }
        for event in &mut parts.events {
            event
                .forms
                .sort_by_key(|f| form_order.iter().position(|o| o == f).unwrap_or(usize::MAX));
        }
        if !self.project_info_given {
            parts.project.longitudinal = !parts.events.is_empty();
        }
        Ok(parts)
    }

    /// Runs every check and returns all problems (warnings included), graded as
    /// REDCap grades them on upload: what `cargo redcap schema --check` reports.
    pub fn check(&self) -> Result<Problems, Error> {
        let mut problems = self.notes.clone();
        if let Some(schema) = &self.snapshot {
            let parts = Parts {
                rows: dictionary_rows(schema),
                ..Parts::default()
            };
            problems.extend(parts.check().0);
        } else {
            problems.extend(self.finish()?.check().0);
        }
        Ok(Problems(problems))
    }

    /// Builds the schema of the project the inputs describe. A project REDCap
    /// holds is read even where REDCap's upload checks would refuse it: only
    /// problems that leave the schema without meaning fail
    /// ([`Problem::blocks_reading`]).
    pub fn build(self) -> Result<ProjectSchema, Error> {
        self.build_with_warnings().map(|(schema, _)| schema)
    }

    /// [`SchemaBuilder::build`], with every problem that did not stop it, as
    /// warnings, for the caller to show.
    pub fn build_with_warnings(self) -> Result<(ProjectSchema, Problems), Error> {
        let notes = self.notes.clone();
        if let Some(schema) = self.snapshot {
            return Ok((schema, Problems(notes)));
        }
        let name = self.name();
        let (schema, warnings) = self.finish()?.read(&name)?;
        Ok((
            schema,
            Problems(notes.into_iter().chain(warnings.0).collect()),
        ))
    }
}

/// Reads one input of any supported kind into a schema.
pub fn read(bytes: &[u8], source_name: &str) -> Result<ProjectSchema, Error> {
    let mut builder = SchemaBuilder::new();
    builder.add_input(bytes, source_name)?;
    builder.build()
}

/// Reads one file of any supported kind into a schema.
pub fn read_path(path: &std::path::Path) -> Result<ProjectSchema, Error> {
    let mut builder = SchemaBuilder::new();
    builder.add_path(path)?;
    builder.build()
}
