//! Every kind of change, each made by editing a corpus file: the REDCapR
//! `simple` and `longitudinal` dictionaries (REDCapR, MIT) for fields and
//! instruments, PyCap's `test_long_project.xml` (PyCap, MIT) for project
//! attributes, events, arms, mappings and repeating setup. The edits are
//! written out below, so each case reads as "this corpus file, with this
//! changed"; the snapshots were read by hand.

use std::collections::BTreeSet;
use std::path::Path;

use redcap_schema::diff::render::to_text;
use redcap_schema::diff::{Kind, SchemaDiff};

const SIMPLE: &str = "REDCapR/inst/test-data/projects/simple/dictionary.csv";
const LONGITUDINAL: &str = "REDCapR/inst/test-data/projects/longitudinal/dictionary.csv";
const PYCAP_LONG: &str = "PyCap/tests/data/test_long_project.xml";

type Edits = &'static [(&'static str, &'static str)];

/// A corpus file with edits applied; each edit's text must be there.
fn edited(path: &str, edits: Edits) -> redcap_schema::ProjectSchema {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let mut text = std::fs::read_to_string(&file).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{path}: {from:?} not found");
        text = text.replace(from, to);
    }
    redcap_schema::read(text.as_bytes(), path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Case {
    name: &'static str,
    source: &'static str,
    old: Edits,
    new: Edits,
}

impl Case {
    fn diff(&self) -> SchemaDiff {
        redcap_schema::diff(
            &edited(self.source, self.old),
            &edited(self.source, self.new),
        )
    }
}

const FIELD_TYPES: Case = Case {
    name: "field types",
    source: SIMPLE,
    old: &[],
    new: &[
        ("sex,demographics,,radio,", "sex,demographics,,dropdown,"),
        (
            "comments,health,\"General Comments\",notes,",
            "comments,health,\"General Comments\",text,",
        ),
        ("mugshot,health,,file,", "mugshot,health,,text,"),
        (
            "ethnicity,race_and_ethnicity,,radio,",
            "ethnicity,race_and_ethnicity,,checkbox,",
        ),
        ("age,demographics,,text,", "age,demographics,,descriptive,"),
    ],
};

const VALIDATIONS: Case = Case {
    name: "validations and ranges",
    source: SIMPLE,
    old: &[],
    new: &[
        (
            "\"Date of birth\",,,date_ymd,,,y,",
            "\"Date of birth\",,,date_mdy,,today,y,",
        ),
        (",,,integer,35,200,", ",,,number,30,150,"),
        (",,,number,130,215,", ",,,integer,130,215,"),
        (
            "age,demographics,,text,\"Age (years)\",,,,,,",
            "age,demographics,,text,\"Age (years)\",,,integer,0,,",
        ),
        ("E-mail,,,email,", "E-mail,,,,"),
    ],
};

const ENFORCED_RANGES: Case = Case {
    name: "enforced ranges: a slider, and @FORCE-MINMAX",
    source: LONGITUDINAL,
    old: &[(
        "\"Height (cm)\",,,number,130,215,,,,,,,,\n",
        "\"Height (cm)\",,,number,130,215,,,,,,,,@FORCE-MINMAX\n",
    )],
    new: &[
        (
            "\"Very sad | Indifferent | Very happy\",,,,,,,,RH,",
            "\"Very sad | Indifferent | Very happy\",,number,10,90,,,,RH,",
        ),
        (
            "\"Height (cm)\",,,number,130,215,,,,,,,,\n",
            "\"Height (cm)\",,,number,140,215,,,,,,,,@FORCE-MINMAX\n",
        ),
    ],
};

const CHOICES: Case = Case {
    name: "choices: re-coded, label changed, removed, added",
    source: SIMPLE,
    old: &[],
    new: &[
        ("\"0, Female | 1, Male\"", "\"0, Female | 2, Male\""),
        (
            "\"0, Unknown / Not Reported | 1, NOT Hispanic or Latino | 2, Hispanic or Latino\"",
            "\"0, Unknown | 1, NOT Hispanic or Latino | 3, Prefer not to say\"",
        ),
        (
            "| 6, Unknown / Not Reported\"",
            "| 6, Unknown / Not Reported | 7, Other\"",
        ),
    ],
};

const CHOICES_MOVED: Case = Case {
    name: "choices: swapped, reordered, removed from a checkbox",
    source: SIMPLE,
    old: &[],
    new: &[
        ("\"0, Female | 1, Male\"", "\"0, Male | 1, Female\""),
        (
            "\"0, Unknown / Not Reported | 1, NOT Hispanic or Latino | 2, Hispanic or Latino\"",
            "\"2, Hispanic or Latino | 1, NOT Hispanic or Latino | 0, Unknown / Not Reported\"",
        ),
        (" | 6, Unknown / Not Reported\"", "\""),
    ],
};

const TEXTS: Case = Case {
    name: "labels, notes, layout, calculation, branching, flags",
    source: SIMPLE,
    old: &[],
    new: &[
        ("\"Age (years)\"", "\"Age in years\""),
        ("\"Include Area Code\"", "\"With the area code\""),
        (
            "comments,health,\"General Comments\",notes,Comments,,,,,,,,,,,,,",
            "comments,health,\"Comments and notes\",notes,Comments,,,,,,,\"[age] >= 18\",,,,,,",
        ),
        ("(([height])^(2)),1)", "(([height])^(2)),2)"),
        (
            "\"First Name\",,,,,,y,,,,,,,",
            "\"First Name\",,,,,,,,y,,,,,",
        ),
        (
            "2, Hispanic or Latino\",,,,,,,,,,,,",
            "2, Hispanic or Latino\",,,,,,,,RH,1a,,,",
        ),
        (
            "\"0, Female | 1, Male\",,,,,,,,,,,,",
            "\"0, Female | 1, Male\",,,,,,,,,,gender,y,",
        ),
    ],
};

const SLIDER_SQL_ONTOLOGY: Case = Case {
    name: "slider labels, sql query, ontology",
    source: LONGITUDINAL,
    old: &[(
        "specify_mood,",
        "site,demographics,,sql,Site,\"select value from redcap_data where project_id = 1\",,,,,,,,,,,,\n\
         diagnosis,demographics,,text,Diagnosis,BIOPORTAL:ICD10,,,,,,,,,,,,\n\
         specify_mood,",
    )],
    new: &[
        (
            "specify_mood,",
            "site,demographics,,sql,Site,\"select value from redcap_data where project_id = 2\",,,,,,,,,,,,\n\
             diagnosis,demographics,,text,Diagnosis,BIOPORTAL:SNOMEDCT,,,,,,,,,,,,\n\
             specify_mood,",
        ),
        (
            "\"Very sad | Indifferent | Very happy\"",
            "\"Very sad | Neutral | Very happy\"",
        ),
    ],
};

const ACTION_TAGS: Case = Case {
    name: "action tags and annotations",
    source: SIMPLE,
    old: &[
        (
            "\"Include Area Code\",phone,,,y,,,,,,,\n",
            "\"Include Area Code\",phone,,,y,,,,,,,@HIDDEN\n",
        ),
        (
            "\"Age (years)\",,,,,,,,,,,,,\n",
            "\"Age (years)\",,,,,,,,,,,,,@DEFAULT='18'\n",
        ),
        (
            "\"Last Name\",,,,,,y,,,,,,,\n",
            "\"Last Name\",,,,,,y,,,,,,,@CALCTEXT([name_first])\n",
        ),
        (
            "Comments,,,,,,,,,,,,,\n",
            "Comments,,,,,,,,,,,,,Reviewed by the PI @READONLY\n",
        ),
    ],
    new: &[
        (
            "\"Age (years)\",,,,,,,,,,,,,\n",
            "\"Age (years)\",,,,,,,,,,,,,@DEFAULT='21'\n",
        ),
        (
            "E-mail,,,email,,,y,,,,,,,\n",
            "E-mail,,,email,,,y,,,,,,,\"@CALCTEXT(concat([name_first],'@example.org'))\"\n",
        ),
        ("date_ymd,,,y,,,,,,,\n", "date_ymd,,,y,,,,,,,@NOMISSING\n"),
        (
            ",,,number,130,215,,,,,,,,\n",
            ",,,number,130,215,,,,,,,,@FORCE-MINMAX\n",
        ),
        (
            "Comments,,,,,,,,,,,,,\n",
            "Comments,,,,,,,,,,,,,Reviewed by the study team @READONLY\n",
        ),
    ],
};

const FIELDS: Case = Case {
    name: "fields: added, removed, renamed, moved, reordered",
    source: SIMPLE,
    old: &[],
    new: &[
        ("mugshot,health,,file,Mugshot,,,,,,,,,,,,,\n", ""),
        ("name_last,demographics,", "surname,demographics,"),
        ("age,demographics,,text,\"Age (years)\",,,,,,,,,,,,,\n", ""),
        (
            "comments,health,",
            "age,health,,text,\"Age (years)\",,,,,,,,,,,,,\ncomments,health,",
        ),
        (
            "telephone,demographics,,text,\"Phone number\",,\"Include Area Code\",phone,,,y,,,,,,,\n\
             email,demographics,,text,E-mail,,,email,,,y,,,,,,,\n",
            "email,demographics,,text,E-mail,,,email,,,y,,,,,,,\n\
             telephone,demographics,,text,\"Phone number\",,\"Include Area Code\",phone,,,y,,,,,,,\n",
        ),
        (
            "Latino\",,,,,,,,,,,,\n",
            "Latino\",,,,,,,,,,,,\n\
             language,race_and_ethnicity,,text,\"Preferred language\",,,,,,,,,,,,,\n\
             thanks,race_and_ethnicity,,descriptive,\"Thank you\",,,,,,,,,,,,,\n",
        ),
    ],
};

const FORMS: Case = Case {
    name: "instruments: renamed, removed, added; record-ID field renamed",
    source: SIMPLE,
    old: &[],
    new: &[
        (",health,", ",vitals,"),
        ("race,race_and_ethnicity,", "race,follow_up,"),
        ("ethnicity,race_and_ethnicity,", "ethnicity,follow_up,"),
        ("record_id,", "participant_id,"),
        (
            "Latino\",,,,,,,,,,,,\n",
            "Latino\",,,,,,,,,,,,\nvisit_date,follow_up,,text,\"Visit date\",,,date_ymd,,,,,,,,,,\n",
        ),
    ],
};

const FORMS_REORDERED: Case = Case {
    name: "instruments reordered",
    source: SIMPLE,
    old: &[],
    new: &[
        (
            "race,race_and_ethnicity,,checkbox,\"Race (Select all that apply)\",\"1, American Indian/Alaska Native | 2, Asian | 3, Native Hawaiian or Other Pacific Islander | 4, Black or African American | 5, White | 6, Unknown / Not Reported\",,,,,,,,,,,,\n\
             ethnicity,race_and_ethnicity,,radio,Ethnicity,\"0, Unknown / Not Reported | 1, NOT Hispanic or Latino | 2, Hispanic or Latino\",,,,,,,,,,,,\n",
            "",
        ),
        (
            "height,health,",
            "race,race_and_ethnicity,,checkbox,\"Race (Select all that apply)\",\"1, American Indian/Alaska Native | 2, Asian | 3, Native Hawaiian or Other Pacific Islander | 4, Black or African American | 5, White | 6, Unknown / Not Reported\",,,,,,,,,,,,\n\
             ethnicity,race_and_ethnicity,,radio,Ethnicity,\"0, Unknown / Not Reported | 1, NOT Hispanic or Latino | 2, Hispanic or Latino\",,,,,,,,,,,,\n\
             height,health,",
        ),
    ],
};

const PROJECT: Case = Case {
    name: "project attributes, missing-data codes, instrument label and survey",
    source: PYCAP_LONG,
    old: &[(
        "<redcap:MissingDataCodes></redcap:MissingDataCodes>",
        "<redcap:MissingDataCodes>UNK, Unknown\nNA, Not applicable\nNI, No information\nMSK, Masked</redcap:MissingDataCodes>",
    )],
    new: &[
        (
            "SourceSystemVersion=\"15.2.1\"",
            "SourceSystemVersion=\"15.7.6\"",
        ),
        (
            "<StudyName>New Test Long Project</StudyName>",
            "<StudyName>Long Project v2</StudyName>",
        ),
        (
            "<redcap:RecordAutonumberingEnabled>0<",
            "<redcap:RecordAutonumberingEnabled>1<",
        ),
        (
            "<redcap:CustomRecordLabel></redcap:CustomRecordLabel>",
            "<redcap:CustomRecordLabel>[last_name], [first_name]</redcap:CustomRecordLabel>",
        ),
        (
            "<redcap:SecondaryUniqueField></redcap:SecondaryUniqueField>",
            "<redcap:SecondaryUniqueField>email</redcap:SecondaryUniqueField>",
        ),
        ("<redcap:SurveysEnabled>1<", "<redcap:SurveysEnabled>0<"),
        (
            "<redcap:MissingDataCodes></redcap:MissingDataCodes>",
            "<redcap:MissingDataCodes>UNK, Not known\nNI, Not applicable\nNASK, Not asked</redcap:MissingDataCodes>",
        ),
        (
            "<redcap:Surveys form_name=\"contact_info\"",
            "<redcap:Surveys form_name=\"baseline_data\"",
        ),
        ("Name=\"Contact Info\"", "Name=\"Contact information\""),
    ],
};

const EVENTS: Case = Case {
    name: "arms, events and mappings",
    source: PYCAP_LONG,
    old: &[],
    new: &[
        (
            "\t\t<StudyEventRef StudyEventOID=\"Event.dose_3_arm_1\" OrderNumber=\"6\" Mandatory=\"No\"/>\n",
            "",
        ),
        (
            "redcap:UniqueEventName=\"dose_3_arm_1\" redcap:ArmNum=\"1\"",
            "redcap:UniqueEventName=\"dose_4_arm_1\" redcap:ArmNum=\"1\"",
        ),
        (
            "\t\t<StudyEventRef StudyEventOID=\"Event.deadline_to_return_arm_2\" OrderNumber=\"16\" Mandatory=\"No\"/>\n",
            "\t\t<StudyEventRef StudyEventOID=\"Event.deadline_to_return_arm_2\" OrderNumber=\"16\" Mandatory=\"No\"/>\n\
             \t\t<StudyEventRef StudyEventOID=\"Event.enrollment_arm_3\" OrderNumber=\"17\" Mandatory=\"No\"/>\n",
        ),
        (
            "\t<StudyEventDef OID=\"Event.deadline_to_return_arm_2\"",
            "\t<StudyEventDef OID=\"Event.enrollment_arm_3\" Name=\"Enrollment (Arm 3: Drug C)\" Type=\"Common\" Repeating=\"No\" redcap:EventName=\"Enrollment\" redcap:CustomEventLabel=\"\" redcap:UniqueEventName=\"enrollment_arm_3\" redcap:ArmNum=\"3\" redcap:ArmName=\"Drug C\" redcap:DayOffset=\"0\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"0\">\n\
             \t\t<FormRef FormOID=\"Form.demographics\" OrderNumber=\"1\" Mandatory=\"No\" redcap:FormName=\"demographics\"/>\n\
             \t</StudyEventDef>\n\
             \t<StudyEventDef OID=\"Event.deadline_to_return_arm_2\"",
        ),
        (
            "redcap:EventName=\"Dose 1\"",
            "redcap:EventName=\"First dose\"",
        ),
        (
            "redcap:UniqueEventName=\"visit_1_arm_1\" redcap:ArmNum=\"1\" redcap:ArmName=\"Drug A\" redcap:DayOffset=\"3\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"0\">",
            "redcap:UniqueEventName=\"visit_1_arm_1\" redcap:ArmNum=\"1\" redcap:ArmName=\"Drug A\" redcap:DayOffset=\"4\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"1\">",
        ),
        (
            "redcap:CustomEventLabel=\"\" redcap:UniqueEventName=\"enrollment_arm_1\"",
            "redcap:CustomEventLabel=\"[first_name]\" redcap:UniqueEventName=\"enrollment_arm_1\"",
        ),
        ("redcap:ArmName=\"Drug B\"", "redcap:ArmName=\"Placebo\""),
        (
            "redcap:UniqueEventName=\"dose_2_arm_1\" redcap:ArmNum=\"1\" redcap:ArmName=\"Drug A\" redcap:DayOffset=\"8\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"0\">\n\
             \t\t<FormRef FormOID=\"Form.patient_morale_questionnaire\" OrderNumber=\"1\" Mandatory=\"No\" redcap:FormName=\"patient_morale_questionnaire\"/>\n",
            "redcap:UniqueEventName=\"dose_2_arm_1\" redcap:ArmNum=\"1\" redcap:ArmName=\"Drug A\" redcap:DayOffset=\"8\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"0\">\n",
        ),
        (
            "redcap:UniqueEventName=\"dose_1_arm_1\" redcap:ArmNum=\"1\" redcap:ArmName=\"Drug A\" redcap:DayOffset=\"1\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"0\">\n",
            "redcap:UniqueEventName=\"dose_1_arm_1\" redcap:ArmNum=\"1\" redcap:ArmName=\"Drug A\" redcap:DayOffset=\"1\" redcap:OffsetMin=\"0\" redcap:OffsetMax=\"0\">\n\
             \t\t<FormRef FormOID=\"Form.contact_info\" OrderNumber=\"0\" Mandatory=\"No\" redcap:FormName=\"contact_info\"/>\n",
        ),
        (
            "redcap:UniqueEventName=\"deadline_to_return_arm_2\" redcap:ArmNum=\"2\"",
            "redcap:UniqueEventName=\"deadline_to_return_arm_2\" redcap:ArmNum=\"1\"",
        ),
    ],
};

const EVENTS_UNDONE: Case = Case {
    name: "arms, events and mappings: the same edits undone",
    source: PYCAP_LONG,
    old: EVENTS.new,
    new: &[],
};

const REPEATING_BASE: &str = "<redcap:RepeatingInstrument redcap:UniqueEventName=\"enrollment_arm_1\" redcap:RepeatInstrument=\"baseline_data\" redcap:CustomLabel=\"\"/>";

const REPEATING: Case = Case {
    name: "repeating instruments and events",
    source: PYCAP_LONG,
    old: &[(
        "\t</redcap:RepeatingInstrumentsAndEvents>",
        "\t\t<redcap:RepeatingEvent redcap:UniqueEventName=\"visit_3_arm_1\"/>\n\t</redcap:RepeatingInstrumentsAndEvents>",
    )],
    new: &[
        (
            REPEATING_BASE,
            "<redcap:RepeatingInstrument redcap:UniqueEventName=\"enrollment_arm_1\" redcap:RepeatInstrument=\"baseline_data\" redcap:CustomLabel=\"Baseline [date_enrolled]\"/>\n\
             \t\t\t<redcap:RepeatingInstrument redcap:UniqueEventName=\"visit_1_arm_1\" redcap:RepeatInstrument=\"visit_lab_data\" redcap:CustomLabel=\"\"/>",
        ),
        (
            "\t</redcap:RepeatingInstrumentsAndEvents>",
            "\t\t<redcap:RepeatingEvent redcap:UniqueEventName=\"visit_2_arm_1\"/>\n\t</redcap:RepeatingInstrumentsAndEvents>",
        ),
    ],
};

const NON_REPEATING: Case = Case {
    name: "an instrument made non-repeating",
    source: PYCAP_LONG,
    old: &[],
    new: &[(REPEATING_BASE, "")],
};

const CASES: &[Case] = &[
    FIELD_TYPES,
    VALIDATIONS,
    ENFORCED_RANGES,
    CHOICES,
    CHOICES_MOVED,
    TEXTS,
    SLIDER_SQL_ONTOLOGY,
    ACTION_TAGS,
    FIELDS,
    FORMS,
    FORMS_REORDERED,
    PROJECT,
    EVENTS,
    EVENTS_UNDONE,
    REPEATING,
    NON_REPEATING,
];

fn render(cases: &[&Case]) -> String {
    cases
        .iter()
        .map(|c| format!("## {}\n\n{}", c.name, to_text(&c.diff(), false)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fields_types_validations_and_ranges() {
    insta::assert_snapshot!(render(&[&FIELD_TYPES, &VALIDATIONS, &ENFORCED_RANGES]));
}

#[test]
fn choices() {
    insta::assert_snapshot!(render(&[&CHOICES, &CHOICES_MOVED]));
}

#[test]
fn texts_logic_tags_and_flags() {
    insta::assert_snapshot!(render(&[&TEXTS, &SLIDER_SQL_ONTOLOGY, &ACTION_TAGS]));
}

#[test]
fn fields_and_instruments() {
    insta::assert_snapshot!(render(&[&FIELDS, &FORMS, &FORMS_REORDERED]));
}

#[test]
fn project_events_and_repeating() {
    insta::assert_snapshot!(render(&[
        &PROJECT,
        &EVENTS,
        &EVENTS_UNDONE,
        &REPEATING,
        &NON_REPEATING
    ]));
}

#[test]
fn every_kind_is_covered() {
    let mut seen: BTreeSet<&str> = CASES
        .iter()
        .flat_map(|c| c.diff().changes)
        .map(|c| c.kind.as_str())
        .collect();
    // A classic dictionary against the longitudinal project it belongs to.
    let classic = edited(LONGITUDINAL, &[]);
    let longitudinal = edited(
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
        &[],
    );
    seen.extend(
        redcap_schema::diff(&classic, &longitudinal)
            .changes
            .iter()
            .map(|c| c.kind.as_str()),
    );
    let missing: Vec<&str> = Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .filter(|k| !seen.contains(k))
        .collect();
    assert!(missing.is_empty(), "kinds without a test: {missing:?}");
}

#[test]
fn reversing_a_diff_swaps_additions_and_removals() {
    for case in CASES {
        let (old, new) = (edited(case.source, case.old), edited(case.source, case.new));
        let forward = redcap_schema::diff(&old, &new);
        let backward = redcap_schema::diff(&new, &old);
        let count = |d: &SchemaDiff, suffix: &str| {
            d.changes
                .iter()
                .filter(|c| c.kind.as_str().ends_with(suffix))
                .count()
        };
        assert_eq!(
            count(&forward, "_added"),
            count(&backward, "_removed"),
            "{}",
            case.name
        );
        assert_eq!(
            count(&forward, "_removed"),
            count(&backward, "_added"),
            "{}",
            case.name
        );
        assert!(redcap_schema::diff(&new, &new).is_empty(), "{}", case.name);
    }
}

#[test]
fn diff_md_documents_every_kind() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("DIFF.md")).unwrap();
    for kind in Kind::ALL {
        assert!(
            doc.contains(&format!("| `{kind}` |")),
            "DIFF.md lacks {kind}"
        );
    }
    assert!(doc.contains(redcap_schema::diff::render::FORMAT));
}
