//! What a schema diff is made of: changes, each with its kind, what it is
//! about, the old and new values, its impact and the reason for it.

use crate::action_tags::ActionTag;
use crate::choices::Choice;

/// How a change affects existing data and the types generated from the old
/// schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Impact {
    /// Existing data is lost, re-labelled or no longer readable by the types
    /// generated from the old schema.
    Breaking,
    /// Existing data keeps its meaning; new data or new text may appear.
    Compatible,
    /// Presentation only: no effect on stored data or exports' meaning.
    Cosmetic,
}

impl Impact {
    /// Every impact, most severe first.
    pub const ALL: [Impact; 3] = [Impact::Breaking, Impact::Compatible, Impact::Cosmetic];

    /// The name used in the JSON format (`breaking`, `compatible`, `cosmetic`).
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Breaking => "breaking",
            Impact::Compatible => "compatible",
            Impact::Cosmetic => "cosmetic",
        }
    }
}

impl std::fmt::Display for Impact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of the project a change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The project as a whole (record-ID field, attributes, missing-data codes).
    Project,
    /// An instrument, by its name in the new schema (the old one if removed).
    Form {
        /// Form name.
        form: String,
    },
    /// A field, by its name and form in the new schema (the old ones if
    /// removed).
    Field {
        /// The field's form.
        form: String,
        /// Field name.
        field: String,
    },
    /// An arm.
    Arm {
        /// Arm number.
        arm: u32,
    },
    /// An event.
    Event {
        /// Unique event name.
        event: String,
    },
    /// A form designated to an event.
    Mapping {
        /// Unique event name.
        event: String,
        /// Form name.
        form: String,
    },
    /// The repeating setup of an instrument (per event in longitudinal
    /// projects).
    RepeatingInstrument {
        /// Unique event name; `None` in classic projects.
        event: Option<String>,
        /// Form name.
        form: String,
    },
    /// The repeating setup of a whole event.
    RepeatingEvent {
        /// Unique event name.
        event: String,
    },
}

/// An old or new value of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text: a name, label, type, validation, bound, equation or logic.
    Text(String),
    /// A yes/no attribute.
    Flag(bool),
    /// A choice or missing-data code with its label.
    Choice(Choice),
    /// A list of names or labels (export columns, slider labels, an order).
    List(Vec<String>),
    /// An action tag with its argument.
    Tag(ActionTag),
}

macro_rules! kinds {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// The kind of a change. The names are part of the stable JSON format
        /// (see `DIFF.md`); new kinds may be added.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $(#[doc = $doc] $variant,)*
        }

        impl Kind {
            /// Every kind, in the order of `DIFF.md`.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The name used in the JSON format (`choice_recoded`).
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }
        }
    };
}

kinds! {
    RecordIdChanged => "record_id_changed", "The record-ID field changed.";
    TitleChanged => "title_changed", "The project title changed.";
    RedcapVersionChanged => "redcap_version_changed", "The REDCap version that wrote the source changed.";
    LongitudinalChanged => "longitudinal_changed", "The project became longitudinal or classic.";
    SurveysEnabledChanged => "surveys_enabled_changed", "Surveys were enabled or disabled.";
    AutonumberingChanged => "autonumbering_changed", "Record auto-numbering was turned on or off.";
    RecordLabelChanged => "record_label_changed", "The custom record label changed.";
    SecondaryUniqueFieldChanged => "secondary_unique_field_changed", "The secondary unique field changed.";
    MissingCodeAdded => "missing_code_added", "A missing-data code was added.";
    MissingCodeRemoved => "missing_code_removed", "A missing-data code was removed.";
    MissingCodeLabelChanged => "missing_code_label_changed", "A missing-data code's label changed.";
    MissingCodeRecoded => "missing_code_recoded", "A missing-data label moved to another code.";
    FormsReordered => "forms_reordered", "The instruments kept are in another order.";
    FormAdded => "form_added", "An instrument was added.";
    FormRemoved => "form_removed", "An instrument was removed.";
    FormRenamed => "form_renamed", "An instrument was renamed (same fields under a new form name).";
    FormLabelChanged => "form_label_changed", "An instrument's display label changed.";
    FormSurveyChanged => "form_survey_changed", "An instrument was enabled or disabled as a survey.";
    FieldsReordered => "fields_reordered", "The fields kept in an instrument are in another order.";
    FieldAdded => "field_added", "A field was added.";
    FieldRemoved => "field_removed", "A field was removed.";
    FieldRenamed => "field_renamed", "A field was renamed (same label, type and choices under a new name).";
    FieldMoved => "field_moved", "A field moved to another instrument.";
    FieldTypeChanged => "field_type_changed", "A field's type changed.";
    ValidationChanged => "validation_changed", "A field's validation type changed.";
    MinChanged => "min_changed", "A field's validation minimum changed.";
    MaxChanged => "max_changed", "A field's validation maximum changed.";
    ChoiceAdded => "choice_added", "A choice was added.";
    ChoiceRemoved => "choice_removed", "A choice was removed.";
    ChoiceLabelChanged => "choice_label_changed", "A choice's label changed, its code kept.";
    ChoiceRecoded => "choice_recoded", "A choice's label is now under another code.";
    ChoicesReordered => "choices_reordered", "The same choices are listed in another order.";
    ExportNamesChanged => "export_names_changed", "A field's columns in flat exports changed (checkbox export names).";
    LabelChanged => "label_changed", "A field's label changed.";
    NoteChanged => "note_changed", "A field's note changed.";
    SectionHeaderChanged => "section_header_changed", "The section header above a field changed.";
    SliderLabelsChanged => "slider_labels_changed", "A slider's labels changed.";
    CalculationChanged => "calculation_changed", "A calc field's equation changed.";
    SqlChanged => "sql_changed", "An sql field's query changed.";
    OntologyChanged => "ontology_changed", "A text field's ontology (BioPortal) service changed.";
    BranchingLogicChanged => "branching_logic_changed", "A field's branching logic changed.";
    ActionTagAdded => "action_tag_added", "An action tag was added to a field.";
    ActionTagRemoved => "action_tag_removed", "An action tag was removed from a field.";
    ActionTagChanged => "action_tag_changed", "An action tag's argument changed.";
    AnnotationChanged => "annotation_changed", "A field annotation's text changed, its action tags kept.";
    RequiredChanged => "required_changed", "A field was made required or optional.";
    IdentifierChanged => "identifier_changed", "A field was flagged or unflagged as an identifier.";
    AlignmentChanged => "alignment_changed", "A field's custom alignment changed.";
    QuestionNumberChanged => "question_number_changed", "A field's survey question number changed.";
    MatrixGroupChanged => "matrix_group_changed", "A field's matrix group changed.";
    MatrixRankingChanged => "matrix_ranking_changed", "A field's matrix ranking changed.";
    ArmAdded => "arm_added", "An arm was added.";
    ArmRemoved => "arm_removed", "An arm was removed.";
    ArmNameChanged => "arm_name_changed", "An arm's name changed.";
    EventAdded => "event_added", "An event was added.";
    EventRemoved => "event_removed", "An event was removed.";
    EventArmChanged => "event_arm_changed", "An event (same unique name) is now in another arm.";
    EventNameChanged => "event_name_changed", "An event's display name changed.";
    EventScheduleChanged => "event_schedule_changed", "An event's day offset or offset window changed.";
    EventLabelChanged => "event_label_changed", "An event's custom label changed.";
    MappingAdded => "mapping_added", "An instrument was designated to an event.";
    MappingRemoved => "mapping_removed", "An instrument was taken off an event.";
    InstrumentMadeRepeating => "instrument_made_repeating", "An instrument now repeats.";
    InstrumentMadeNonRepeating => "instrument_made_non_repeating", "An instrument no longer repeats.";
    EventMadeRepeating => "event_made_repeating", "A whole event now repeats.";
    EventMadeNonRepeating => "event_made_non_repeating", "A whole event no longer repeats.";
    RepeatLabelChanged => "repeat_label_changed", "The custom label of repeat instances changed.";
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change between two schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed.
    pub kind: Kind,
    /// What it does to existing data and generated types.
    pub impact: Impact,
    /// The part of the project it is about.
    pub target: Target,
    /// The value before, if there was one.
    pub old: Option<Value>,
    /// The value after, if there is one.
    pub new: Option<Value>,
    /// Why the change has its impact, in one or two sentences.
    pub reason: String,
}

/// Every change between two schemas, in schema order: project, then
/// instruments with their fields, then arms, events, mappings and repeating
/// setup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaDiff {
    /// The changes.
    pub changes: Vec<Change>,
}

impl SchemaDiff {
    /// Whether the schemas are the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes have this impact.
    pub fn count(&self, impact: Impact) -> usize {
        self.changes.iter().filter(|c| c.impact == impact).count()
    }

    /// Whether any change is breaking.
    pub fn has_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.impact == Impact::Breaking)
    }

    /// The changes with this impact, in schema order.
    pub fn with_impact(&self, impact: Impact) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.impact == impact)
    }
}
