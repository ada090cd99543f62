//! Random and mutated requests at every method of the API spec: each one
//! gets an answer, none a 5xx (REDCap answers bad requests with 4xx or a
//! 200 failure), and the emulator keeps serving. The generator is seeded,
//! so a failure names the seed and request that reproduce it
//! (`REDCAP_EMULATOR_FUZZ_SEED` picks another seed).

mod support;

use redcap_api_spec::{Auth, ParamType};
use redcap_emulator::Emulator;
use support::{LONGITUDINAL, SIMPLE, start};

/// xorshift64*: small, deterministic, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Values that have tripped parsers: blanks, signs, huge numbers, logic,
/// markup, bytes that are not text, names the projects have.
const WORDS: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "2",
    "99999999999999999999",
    "1.5",
    "abc",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "record_id",
    "name_first",
    "demographics",
    "study_id",
    "enrollment_arm_1",
    "visit_1_arm_1",
    "arm_1",
    "1,2,3",
    "2020-01-01",
    "2020-01-01 10:00",
    "2020-13-45 99:99:99",
    "[record_id] = '1'",
    "((([record_id]",
    "if(",
    "<records><item>",
    "<?xml version=\"1.0\"?>",
    "\"",
    "'",
    ",",
    "\n",
    "\u{0}",
    "é漢字",
    "%",
    "new",
    "auto_ids",
    "ids",
    "count",
    "eav",
    "flat",
    "json",
    "csv",
    "xml",
    "odm",
    "raw",
    "label",
    "both",
    "tab",
    "pipe",
];

const FORMATS: &[&str] = &["json", "csv", "xml", "odm", "", "JSON", "yaml"];

/// Payloads in each format, to be mutated.
const PAYLOADS: &[&str] = &[
    r#"[{"record_id":"1","name_first":"A"}]"#,
    r#"[{"study_id":"5","redcap_event_name":"enrollment_arm_1","redcap_repeat_instrument":"","redcap_repeat_instance":"new"}]"#,
    r#"[{"record":"1","field_name":"name_first","value":"B","redcap_event_name":"x"}]"#,
    r#"{"project_title":"T","purpose":"0"}"#,
    r#"[{"arm_num":"1","name":"Arm"}]"#,
    r#"[{"event_name":"E","arm_num":"9","unique_event_name":"e_arm_9"}]"#,
    r#"[{"arm_num":"1","unique_event_name":"enrollment_arm_1","form":"demographics"}]"#,
    r#"[{"username":"someone","api_export":"1","forms":{"demographics":"1"}}]"#,
    r#"[{"unique_role_name":"","role_label":"R"}]"#,
    r#"[{"data_access_group_name":"G","unique_group_name":""}]"#,
    r#"[{"username":"someone","redcap_data_access_group":"g"}]"#,
    r#"[{"form_name":"demographics","custom_form_label":""}]"#,
    r#"[{"field_name":"record_id","form_name":"f","field_type":"text","field_label":"ID"}]"#,
    "record_id,name_first\n1,A\n2,\"B\n",
    "field_name,form_name,field_type,field_label\nrecord_id,f,text,ID\n",
    "<?xml version=\"1.0\"?><records><item><record_id>1</record_id></item></records>",
    "<?xml version=\"1.0\"?><item><project_title>T</project_title><purpose>0</purpose></item>",
    "<records><item><record_id><![CDATA[1]]></record_id></item>",
];

/// A payload, mutated: cut, a byte changed, a part doubled, or a word in.
fn payload(rng: &mut Rng) -> String {
    let mut text: Vec<u8> = rng.pick(PAYLOADS).as_bytes().to_vec();
    for _ in 0..rng.below(3) {
        if text.is_empty() {
            break;
        }
        let at = rng.below(text.len());
        match rng.below(4) {
            0 => text.truncate(at),
            1 => text[at] = b"\"',[]{}<>\n\\x0"[rng.below(13)],
            2 => {
                let tail = text[at..].to_vec();
                text.extend(tail);
            }
            _ => {
                let word = rng.pick(WORDS).as_bytes().to_vec();
                text.splice(at..at, word);
            }
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn value(rng: &mut Rng, ty: ParamType) -> String {
    match ty {
        ParamType::Data => payload(rng),
        ParamType::Int if rng.chance(70) => rng.below(5).to_string(),
        ParamType::Bool if rng.chance(70) => rng.pick(&["true", "false", "1", "0"]).to_owned(),
        _ if rng.chance(3) => "x".repeat(rng.below(100_000)),
        _ => rng.pick(WORDS).to_owned(),
    }
}

/// One request: the method's content and action (sometimes another's),
/// a token of the right kind (sometimes not), and random parameters.
fn request(
    rng: &mut Rng,
    spec: &redcap_api_spec::Spec,
    emu: &Emulator,
) -> (String, Vec<(String, String)>) {
    let methods: Vec<_> = spec.methods().collect();
    let method = methods[rng.below(methods.len())];
    let mut form: Vec<(String, String)> = Vec::new();
    let project = if rng.chance(50) { "simple" } else { "long" };
    let token = match (method.auth, rng.below(10)) {
        (_, 0) => "0123456789ABCDEF0123456789ABCDEF".to_owned(),
        (_, 1) => rng.pick(WORDS).to_owned(),
        (Auth::Super, _) => emu.super_token().to_owned(),
        (Auth::ProjectOrSuper, 2..=4) => emu.super_token().to_owned(),
        _ => emu.token(project).unwrap().to_owned(),
    };
    form.push(("token".into(), token));
    let content = if rng.chance(5) {
        methods[rng.below(methods.len())].content.clone()
    } else {
        method.content.clone()
    };
    form.push(("content".into(), content));
    if let Some(action) = &method.action
        && !rng.chance(5)
    {
        form.push(("action".into(), action.clone()));
    }
    for param in &method.params {
        if ["token", "content", "action"].contains(&param.name.as_str()) || rng.chance(40) {
            continue;
        }
        match param.ty {
            ParamType::List => {
                for i in 0..rng.below(4) {
                    form.push((
                        format!("{}[{i}]", param.name),
                        value(rng, ParamType::String),
                    ));
                }
                if rng.chance(20) {
                    form.push((param.name.clone(), value(rng, ParamType::String)));
                }
            }
            ParamType::Enum if rng.chance(70) => {
                let values = param
                    .enum_name
                    .as_deref()
                    .and_then(|name| spec.enum_def(name))
                    .map(|def| {
                        def.values
                            .iter()
                            .map(|v| v.wire.clone())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                let v = if values.is_empty() {
                    rng.pick(FORMATS).to_owned()
                } else {
                    values[rng.below(values.len())].clone()
                };
                form.push((param.name.clone(), v));
            }
            ty => form.push((param.name.clone(), value(rng, ty))),
        }
    }
    if rng.chance(20) {
        form.push((rng.pick(WORDS).to_owned(), rng.pick(WORDS).to_owned()));
    }
    (method.name.clone(), form)
}

#[tokio::test]
async fn random_requests_at_every_method_get_answers() {
    let seed: u64 = std::env::var("REDCAP_EMULATOR_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_CAFE_F00D_0016);
    let spec = redcap_api_spec::load().unwrap();
    let emu = start(&[("simple", SIMPLE), ("long", LONGITUDINAL)]).await;
    let http = reqwest::Client::new();
    let mut rng = Rng(seed);
    let count = spec.methods().count() * 12;
    for n in 0..count {
        let (method, form) = request(&mut rng, &spec, &emu);
        let multipart = rng.chance(15);
        let builder = http.post(emu.url());
        let builder = if multipart {
            let mut parts = reqwest::multipart::Form::new();
            for (k, v) in &form {
                parts = parts.text(k.clone(), v.clone());
            }
            let bytes = payload(&mut rng).into_bytes();
            parts = parts.part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(rng.pick(WORDS).to_owned()),
            );
            builder.multipart(parts)
        } else {
            builder.form(&form)
        };
        let shown = || {
            let short: Vec<_> = form
                .iter()
                .map(|(k, v)| (k.as_str(), v.chars().take(80).collect::<String>()))
                .collect();
            format!("seed {seed}, request {n} ({method}, multipart {multipart}): {short:?}")
        };
        let response = builder
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}; {}", shown()));
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status < 500,
            "status {status}: {}; {}",
            body.chars().take(300).collect::<String>(),
            shown()
        );
    }
    let (status, _, body) = support::post(
        emu.url(),
        &[
            ("token", emu.token("simple").unwrap()),
            ("content", "version"),
        ],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, redcap_emulator::REDCAP_VERSION)
    );
}
