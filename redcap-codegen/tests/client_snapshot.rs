//! The whole generated client, formatted, kept as a snapshot so every change to it is
//! reviewed as a diff.

#[test]
fn generated_client() {
    let spec = redcap_api_spec::load().expect("the shipped spec is valid");
    let code = redcap_codegen::client::render(&spec);
    insta::assert_snapshot!("client", code);
}

#[test]
fn generation_is_deterministic() {
    let spec = redcap_api_spec::load().unwrap();
    assert_eq!(
        redcap_codegen::client::render(&spec),
        redcap_codegen::client::render(&spec)
    );
}

#[test]
fn every_method_gets_a_builder_and_a_constructor() {
    let spec = redcap_api_spec::load().unwrap();
    let code = redcap_codegen::client::render(&spec);
    for method in spec.methods() {
        let builder = heck::ToPascalCase::to_pascal_case(method.name.as_str());
        assert!(
            code.contains(&format!("pub struct {builder}<'a>")),
            "{}",
            method.name
        );
        assert!(
            code.contains(&format!("pub fn {}(\n", method.name))
                || code.contains(&format!("pub fn {}(&self)", method.name)),
            "{}",
            method.name
        );
    }
}
