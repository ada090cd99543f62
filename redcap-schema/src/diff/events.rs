//! Arms, events, form–event mappings and repeating setup.

use std::collections::HashSet;

use crate::model::{Event, ProjectSchema};

use super::model::{Impact, Kind, Target, Value};
use super::renames::Renames;
use super::{Out, order, text};

pub(crate) fn compare(old: &ProjectSchema, new: &ProjectSchema, renames: &Renames, out: &mut Out) {
    arms(old, new, out);
    events(old, new, renames, out);
    repeating_events(old, new, out);
    repeating_instruments(old, new, renames, out);
}

fn arms(old: &ProjectSchema, new: &ProjectSchema, out: &mut Out) {
    let mut numbers: Vec<u32> = old.arms.iter().chain(&new.arms).map(|a| a.number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    for number in numbers {
        let target = Target::Arm { arm: number };
        let o = old.arms.iter().find(|a| a.number == number);
        let n = new.arms.iter().find(|a| a.number == number);
        match (o, n) {
            (Some(o), None) => out.push(
                Kind::ArmRemoved,
                Impact::Breaking,
                &target,
                text(&o.name),
                None,
                "records in this arm lose their events and the data in them",
            ),
            (None, Some(n)) => out.push(
                Kind::ArmAdded,
                Impact::Compatible,
                &target,
                None,
                text(&n.name),
                "a new arm: existing records are not in it",
            ),
            (Some(o), Some(n)) if o.name != n.name => out.push(
                Kind::ArmNameChanged,
                Impact::Compatible,
                &target,
                text(&o.name),
                text(&n.name),
                "display text only: events keep their unique names",
            ),
            _ => {}
        }
    }
}

fn events(old: &ProjectSchema, new: &ProjectSchema, renames: &Renames, out: &mut Out) {
    let old_names: Vec<&str> = old.events.iter().map(|e| e.unique_name.as_str()).collect();
    let new_names: Vec<&str> = new.events.iter().map(|e| e.unique_name.as_str()).collect();
    for name in order::merge(&old_names, &new_names) {
        let target = Target::Event {
            event: name.to_owned(),
        };
        let o = old.events.iter().find(|e| e.unique_name == name);
        let n = new.events.iter().find(|e| e.unique_name == name);
        match (o, n) {
            (Some(o), None) => out.push(
                Kind::EventRemoved,
                Impact::Breaking,
                &target,
                Some(Value::List(o.forms.clone())),
                None,
                "the data of every record in this event is lost, and `redcap_event_name` no longer takes this value",
            ),
            (None, Some(n)) => out.push(
                Kind::EventAdded,
                Impact::Compatible,
                &target,
                None,
                Some(Value::List(n.forms.clone())),
                "a new event: existing records have no data in it",
            ),
            (Some(o), Some(n)) => {
                event(o, n, &target, out);
                mappings(o, n, old, new, renames, out);
            }
            (None, None) => {}
        }
    }
}

fn event(old: &Event, new: &Event, target: &Target, out: &mut Out) {
    if old.arm != new.arm {
        out.push(
            Kind::EventArmChanged,
            Impact::Breaking,
            target,
            text(&old.arm.to_string()),
            text(&new.arm.to_string()),
            "the event's data now belongs to records of another arm",
        );
    }
    if old.name != new.name {
        out.push(
            Kind::EventNameChanged,
            Impact::Compatible,
            target,
            text(&old.name),
            text(&new.name),
            "display text only: the unique event name is kept",
        );
    }
    let schedule = |e: &Event| {
        [&e.day_offset, &e.offset_min, &e.offset_max]
            .map(|v| v.clone().unwrap_or_default())
            .to_vec()
    };
    if schedule(old) != schedule(new) {
        out.push(
            Kind::EventScheduleChanged,
            Impact::Cosmetic,
            target,
            Some(Value::List(schedule(old))),
            Some(Value::List(schedule(new))),
            "scheduling only: stored data is unchanged",
        );
    }
    if old.custom_label != new.custom_label {
        let value = |v: &Option<String>| v.as_ref().map(|v| Value::Text(v.clone()));
        out.push(
            Kind::EventLabelChanged,
            Impact::Cosmetic,
            target,
            value(&old.custom_label),
            value(&new.custom_label),
            "display text only",
        );
    }
}

/// Mappings of an event kept. An instrument removed or added as a whole is
/// reported as such; its mappings are not repeated here, except that an
/// added instrument designated to an existing event is.
fn mappings(
    old: &Event,
    new: &Event,
    old_schema: &ProjectSchema,
    new_schema: &ProjectSchema,
    renames: &Renames,
    out: &mut Out,
) {
    let old_forms: Vec<&str> = old
        .forms
        .iter()
        .map(|f| renames.form_to_new(f))
        .filter(|f| new_schema.form(f).is_some())
        .collect();
    let new_forms: Vec<&str> = new.forms.iter().map(String::as_str).collect();
    let old_set: HashSet<&str> = old_forms.iter().copied().collect();
    let new_set: HashSet<&str> = new_forms.iter().copied().collect();
    for form in order::merge(&old_forms, &new_forms) {
        let target = Target::Mapping {
            event: new.unique_name.clone(),
            form: form.to_owned(),
        };
        match (old_set.contains(form), new_set.contains(form)) {
            (true, false) => out.push(
                Kind::MappingRemoved,
                Impact::Breaking,
                &target,
                None,
                None,
                "the instrument's data in this event is no longer shown or exported, and imports of it are rejected",
            ),
            (false, true) => {
                let new_form = old_schema.form(renames.form_to_old(form)).is_none();
                let reason = if new_form {
                    "a new instrument is collected in this event"
                } else {
                    "the instrument is also collected in this event; existing records have no data there yet"
                };
                out.push(Kind::MappingAdded, Impact::Compatible, &target, None, None, reason);
            }
            _ => {}
        }
    }
}

fn repeating_events(old: &ProjectSchema, new: &ProjectSchema, out: &mut Out) {
    let old_names: Vec<&str> = old
        .repeating
        .events
        .iter()
        .map(|r| r.event.as_str())
        .collect();
    let new_names: Vec<&str> = new
        .repeating
        .events
        .iter()
        .map(|r| r.event.as_str())
        .collect();
    for name in order::merge(&old_names, &new_names) {
        let target = Target::RepeatingEvent {
            event: name.to_owned(),
        };
        let o = old.repeating.events.iter().find(|r| r.event == name);
        let n = new.repeating.events.iter().find(|r| r.event == name);
        let event_is_new = !old.events.iter().any(|e| e.unique_name == name);
        let event_is_gone = !new.events.iter().any(|e| e.unique_name == name);
        match (o, n) {
            (Some(o), None) if !event_is_gone => out.push(
                Kind::EventMadeNonRepeating,
                Impact::Breaking,
                &target,
                o.label.clone().map(Value::Text),
                None,
                "records' instances of this event beyond the first are no longer shown or exported, and `redcap_repeat_instance` goes",
            ),
            (None, Some(n)) => {
                let (impact, reason) = if event_is_new {
                    (Impact::Compatible, "a new event that repeats: no stored data is affected")
                } else {
                    (
                        Impact::Breaking,
                        "existing data in this event becomes instance 1, and exports and generated types gain `redcap_repeat_instance` for it",
                    )
                };
                out.push(
                    Kind::EventMadeRepeating,
                    impact,
                    &target,
                    None,
                    n.label.clone().map(Value::Text),
                    reason,
                );
            }
            (Some(o), Some(n)) if o.label != n.label => out.push(
                Kind::RepeatLabelChanged,
                Impact::Cosmetic,
                &target,
                o.label.clone().map(Value::Text),
                n.label.clone().map(Value::Text),
                "display text only: the label shown for each instance",
            ),
            _ => {}
        }
    }
}

fn repeating_instruments(
    old: &ProjectSchema,
    new: &ProjectSchema,
    renames: &Renames,
    out: &mut Out,
) {
    // Keys are `event/form` with forms under their new names.
    let key = |event: &Option<String>, form: &str| {
        format!("{}/{form}", event.as_deref().unwrap_or_default())
    };
    let old_keys: Vec<String> = old
        .repeating
        .instruments
        .iter()
        .map(|r| key(&r.event, renames.form_to_new(&r.form)))
        .collect();
    let new_keys: Vec<String> = new
        .repeating
        .instruments
        .iter()
        .map(|r| key(&r.event, &r.form))
        .collect();
    let old_refs: Vec<&str> = old_keys.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new_keys.iter().map(String::as_str).collect();
    for k in order::merge(&old_refs, &new_refs) {
        let o = old_refs
            .iter()
            .position(|x| *x == k)
            .map(|i| &old.repeating.instruments[i]);
        let n = new_refs
            .iter()
            .position(|x| *x == k)
            .map(|i| &new.repeating.instruments[i]);
        let (event, form) = match (o, n) {
            (_, Some(n)) => (n.event.clone(), n.form.clone()),
            (Some(o), None) => (o.event.clone(), renames.form_to_new(&o.form).to_owned()),
            (None, None) => continue,
        };
        let target = Target::RepeatingInstrument {
            event: event.clone(),
            form: form.clone(),
        };
        let in_event = |schema: &ProjectSchema, form: &str| match &event {
            Some(e) => schema
                .events
                .iter()
                .any(|ev| &ev.unique_name == e && ev.forms.iter().any(|f| f == form)),
            None => schema.form(form).is_some(),
        };
        match (o, n) {
            (Some(o), None) if in_event(new, &form) => out.push(
                Kind::InstrumentMadeNonRepeating,
                Impact::Breaking,
                &target,
                o.label.clone().map(Value::Text),
                None,
                "records' instances of this instrument beyond the first are no longer shown or exported, and the generated type loses its instances",
            ),
            (None, Some(n)) => {
                let was_there = in_event(old, renames.form_to_old(&form));
                let (impact, reason) = if was_there {
                    (
                        Impact::Breaking,
                        "existing data in this instrument becomes instance 1: exports move it to rows with `redcap_repeat_instrument`, and the generated type changes",
                    )
                } else {
                    (Impact::Compatible, "the instrument is new here and repeats: no stored data is affected")
                };
                out.push(
                    Kind::InstrumentMadeRepeating,
                    impact,
                    &target,
                    None,
                    n.label.clone().map(Value::Text),
                    reason,
                );
            }
            (Some(o), Some(n)) if o.label != n.label => out.push(
                Kind::RepeatLabelChanged,
                Impact::Cosmetic,
                &target,
                o.label.clone().map(Value::Text),
                n.label.clone().map(Value::Text),
                "display text only: the label shown for each instance",
            ),
            _ => {}
        }
    }
}
