//! The small subset of FHIR R4 (4.0.1) that safeguard emits, as plain serde structs. Each field
//! is named as the R4 JSON names it; empty lists and absent values are left out, as FHIR JSON
//! requires (no `null`, no `[]`). Only serialisation: safeguard never reads FHIR resources.

use serde::Serialize;

/// A resource at the top of a response, in a Bundle entry or contained in another: serialised
/// with its `resourceType` first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    /// A search result.
    Bundle(Bundle),
    /// A flag of the register.
    Flag(Box<Flag>),
    /// The person the flag is held against, by NHS number only.
    Patient(Patient),
    /// The responsible local authority.
    Organization(Organization),
    /// Why a request failed.
    OperationOutcome(OperationOutcome),
    /// What this server does.
    CapabilityStatement(Box<CapabilityStatement>),
}

/// R4 `Meta`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// When the content was made (an `instant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

/// R4 `Extension`, with the value types used here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// What the extension means (a StructureDefinition URL of ours).
    pub url: &'static str,
    /// A code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<&'static str>,
    /// A date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
    /// Text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
}

/// R4 `Identifier`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identifier {
    /// The namespace, e.g. `https://fhir.nhs.uk/Id/nhs-number`.
    pub system: &'static str,
    /// The value in it.
    pub value: String,
}

/// R4 `Coding`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coding {
    /// The code system.
    pub system: &'static str,
    /// The code.
    pub code: &'static str,
    /// Its words.
    pub display: &'static str,
}

/// R4 `CodeableConcept`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeableConcept {
    /// Codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// R4 `Period` (dates as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// From.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// To, when ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// R4 `ContactPoint`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactPoint {
    /// When the number answers (our `contact-point-hours` extension).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `phone`.
    pub system: &'static str,
    /// The number.
    pub value: String,
    /// `work`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// Order of preference (1 first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
}

/// R4 `Reference`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// `#id` of a contained resource.
    pub reference: String,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// R4 `Patient`: only the NHS number (no name, no date of birth leaves the LA).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patient {
    /// Local id within the Flag.
    pub id: &'static str,
    /// The NHS number.
    pub identifier: Vec<Identifier>,
}

/// R4 `Organization`: the responsible local authority and its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    /// Local id within the Flag.
    pub id: &'static str,
    /// The LA's name.
    pub name: String,
    /// Office-hours and out-of-hours numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
}

/// R4 `Flag`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// The flag's id in the register.
    pub id: String,
    /// The Patient and Organization it refers to.
    pub contained: Vec<Resource>,
    /// Section, expected delivery, allocated team, advice (our extensions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `active` while the plan or status continues, else `inactive`.
    pub status: &'static str,
    /// `safety`.
    pub category: Vec<CodeableConcept>,
    /// The flag type, from our CodeSystem.
    pub code: CodeableConcept,
    /// `#patient`.
    pub subject: Reference,
    /// Start and end of the plan or status.
    pub period: Period,
    /// `#la`.
    pub author: Reference,
}

/// R4 `Bundle` of type `searchset`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bundle {
    /// When it was made.
    pub meta: Meta,
    /// `searchset`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// How many matches.
    pub total: u32,
    /// The search as understood (`self`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    /// The matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

/// R4 `Bundle.link`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleLink {
    /// `self`.
    pub relation: &'static str,
    /// The search URL.
    pub url: String,
}

/// R4 `Bundle.entry`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// `urn:uuid:<id>`: a flag has no read interaction, only search.
    pub full_url: String,
    /// The resource.
    pub resource: Resource,
    /// `match`.
    pub search: BundleSearch,
}

/// R4 `Bundle.entry.search`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleSearch {
    /// `match`.
    pub mode: &'static str,
}

/// R4 `OperationOutcome`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationOutcome {
    /// What went wrong.
    pub issue: Vec<Issue>,
}

/// R4 `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// `error`.
    pub severity: &'static str,
    /// The R4 IssueType.
    pub code: IssueType,
    /// What to fix, in words.
    pub diagnostics: String,
}

/// The R4 IssueType codes this server uses (<http://hl7.org/fhir/R4/valueset-issue-type.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueType {
    /// Content invalid against the specification (a bad NHS number, a bad header).
    Invalid,
    /// A required element is missing (no `patient.identifier`).
    Required,
    /// The user needs to sign in: no token, or an unknown or revoked one (401).
    Login,
    /// The user may not do this (403).
    Forbidden,
    /// Too many requests (429).
    Throttled,
    /// No such resource or path (404).
    NotFound,
    /// Not supported here (an identifier system other than the NHS number's).
    NotSupported,
    /// The server failed (500).
    Exception,
}

/// R4 `CapabilityStatement`, kind `instance`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityStatement {
    /// `safeguard`.
    pub id: &'static str,
    /// The software version.
    pub version: &'static str,
    /// A machine name.
    pub name: &'static str,
    /// A title.
    pub title: &'static str,
    /// `active`.
    pub status: &'static str,
    /// When this statement last changed.
    pub date: &'static str,
    /// Who publishes it.
    pub publisher: &'static str,
    /// `instance`.
    pub kind: &'static str,
    /// The software.
    pub software: Software,
    /// This server.
    pub implementation: Implementation,
    /// `4.0.1`.
    pub fhir_version: &'static str,
    /// `application/fhir+json`.
    pub format: Vec<&'static str>,
    /// The REST server.
    pub rest: Vec<Rest>,
}

/// R4 `CapabilityStatement.software`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Software {
    /// `safeguard`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// R4 `CapabilityStatement.implementation`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Implementation {
    /// What it is.
    pub description: &'static str,
    /// Its base URL.
    pub url: String,
}

/// R4 `CapabilityStatement.rest`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rest {
    /// `server`.
    pub mode: &'static str,
    /// The headers and rules, in markdown.
    pub documentation: &'static str,
    /// Bearer tokens.
    pub security: Security,
    /// Flag.
    pub resource: Vec<RestResource>,
}

/// R4 `CapabilityStatement.rest.security`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Security {
    /// No browser calls.
    pub cors: bool,
    /// `Bearer`.
    pub service: Vec<CodeableConcept>,
    /// How to authenticate.
    pub description: &'static str,
}

/// R4 `CapabilityStatement.rest.resource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestResource {
    /// `Flag`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// What it holds.
    pub documentation: &'static str,
    /// `search-type`.
    pub interaction: Vec<Interaction>,
    /// `patient.identifier`.
    pub search_param: Vec<SearchParam>,
}

/// R4 `CapabilityStatement.rest.resource.interaction`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interaction {
    /// `search-type`.
    pub code: &'static str,
    /// How.
    pub documentation: &'static str,
}

/// R4 `CapabilityStatement.rest.resource.searchParam`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchParam {
    /// `patient.identifier`.
    pub name: &'static str,
    /// `token`.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// How.
    pub documentation: &'static str,
}
