//! The closed code sets of the statutory journey: who referred, the factors found at assessment,
//! the categories of abuse, reasons for closure, primary need, looked-after legal status, and the
//! decisions practitioners make at each step (screening, strategy discussion, section 47,
//! assessment, conference), with the lawful basis for sharing and the urgency of a referral.
//!
//! Where the Department for Education publishes a code (the Children in Need (CIN) census and the
//! SSDA903 looked-after children return), the code here is that code, so exports need no mapping.
//! The CIN census codes are checked by a test against the census schema
//! (`data/CIN_schema_2026.xsd`); its annotations give the labels unless the doc comment says
//! otherwise. The codes of decisions that no return collects are safeguard's own (snake_case).
//!
//! Sources: domain spec `shared/domain/working-together.md` (§1.3 referral sources, §1.4 states,
//! §1.6 section 47, §1.8 categories, §1.9 primary need, closure and legal status, §2.3 lawful
//! bases); the CIN census XSD 2026; the SSDA903 return's legal status table.

use crate::coded::coded_enum;
use crate::timescales::RuleId;

coded_enum! {
    /// Who referred the child: the CIN census `ReferralSource` (data item N00152), 22 codes
    /// (spec §1.3; CIN census XSD `referralsourcetype`; validated by CIN rule 8866). Labels follow
    /// the spec's table; the XSD's annotations say the same in capitals.
    ReferralSource, "referral source" {
        /// 1A.
        IndividualFamily => "1A", "Individual – family member, relative or carer";
        /// 1B.
        IndividualAcquaintance => "1B", "Individual – acquaintance (including neighbours and child minders)";
        /// 1C: a self-referral by the child.
        IndividualSelf => "1C", "Individual – self";
        /// 1D.
        IndividualOther => "1D", "Individual – other (including strangers)";
        /// 2A.
        Schools => "2A", "Schools";
        /// 2B.
        EducationServices => "2B", "Education services";
        /// 3A.
        HealthGp => "3A", "Health – GP";
        /// 3B.
        HealthVisitor => "3B", "Health – health visitor";
        /// 3C.
        HealthSchoolNurse => "3C", "Health – school nurse";
        /// 3D.
        HealthOtherPrimary => "3D", "Health – other primary health services";
        /// 3E.
        HealthAccidentAndEmergency => "3E", "Health – A&E (accident and emergency department)";
        /// 3F.
        HealthOther => "3F", "Health – other (for example hospice)";
        /// 4.
        Housing => "4", "Housing (local authority housing or housing association)";
        /// 5A.
        LaSocialCare => "5A", "LA services – social care (for example adult social care)";
        /// 5B.
        LaOtherInternal => "5B", "LA services – other internal (for example youth offending, excluding housing)";
        /// 5C.
        LaExternal => "5C", "LA services – external (for example another local authority's adult social care)";
        /// 5D.
        LaEarlyHelp => "5D", "LA services – early help";
        /// 6.
        Police => "6", "Police";
        /// 7.
        OtherLegalAgency => "7", "Other legal agency (courts, probation, immigration, Cafcass or prison)";
        /// 8.
        Other => "8", "Other (children's centres, independent agency providers or voluntary organisations)";
        /// 9.
        Anonymous => "9", "Anonymous";
        /// 10.
        Unknown => "10", "Unknown";
    }
}

coded_enum! {
    /// The factors identified at a child and family assessment: the CIN census
    /// `AssessmentFactors` (N00181), codes 1A to 24A (spec §1.4 and §7.1; CIN census XSD 2026
    /// `assessmentfactorstype`, whose annotations are the labels, word for word).
    ///
    /// Rules: 21 ("no factors") cannot be combined with any other code (CIN rule 8869); a code
    /// appears at most once per assessment (8898); 18A and 19A are deprecated in favour of
    /// 18B/18C and 19B/19C (queries 8945Q, 8950Q). See [`crate::validate::check_assessment_factors`].
    AssessmentFactor, "assessment factor" {
        /// 1A.
        AlcoholChild => "1A", "Alcohol misuse: concerns about alcohol misuse by the child";
        /// 1B.
        AlcoholParent => "1B", "Alcohol misuse: concerns about alcohol misuse by the parent(s)/carer(s)";
        /// 1C.
        AlcoholHousehold => "1C", "Alcohol misuse: concerns about alcohol misuse by another person living in the household";
        /// 2A.
        DrugsChild => "2A", "Drug misuse: concerns about drug misuse by the child";
        /// 2B.
        DrugsParent => "2B", "Drug misuse: concerns about drug misuse by the parent(s)/carer(s)";
        /// 2C.
        DrugsHousehold => "2C", "Drug misuse: concerns about drug misuse by another person living in the household";
        /// 3A.
        DomesticViolenceChild => "3A", "Domestic violence: concerns about the child being the subject of domestic violence";
        /// 3B.
        DomesticViolenceParent => "3B", "Domestic violence: concerns about the child’s parent(s)/carer(s) being the subject of domestic violence";
        /// 3C.
        DomesticViolenceHousehold => "3C", "Domestic violence: concerns about another person living in the household being the subject of domestic violence";
        /// 4A.
        MentalHealthChild => "4A", "Mental health: concerns about the mental health of the child";
        /// 4B.
        MentalHealthParent => "4B", "Mental health: concerns about the mental health of the parent(s)/carer(s)";
        /// 4C.
        MentalHealthHousehold => "4C", "Mental health: concerns about the mental health of another person in the family/household";
        /// 5A.
        LearningDisabilityChild => "5A", "Learning disability: concerns about the child’s learning disability";
        /// 5B.
        LearningDisabilityParent => "5B", "Learning disability: concerns about the parent(s)/carer(s) learning disability";
        /// 5C.
        LearningDisabilityHousehold => "5C", "Learning disability: concerns about another person in the family/household’s learning disability";
        /// 6A.
        PhysicalDisabilityChild => "6A", "Physical disability or illness: concerns about a physical disability or illness of the child";
        /// 6B.
        PhysicalDisabilityParent => "6B", "Physical disability or illness: concerns about a physical disability or illness of the parent(s)/carer(s)";
        /// 6C.
        PhysicalDisabilityHousehold => "6C", "Physical disability or illness: concerns about a physical disability or illness of another person in the family/household";
        /// 7A.
        YoungCarer => "7A", "Young carer: concerns that services may be required or the child’s health or development may be impaired due to their caring responsibilities";
        /// 8B.
        PrivatelyFosteredOverseasReturning => "8B", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - overseas children who intend to return";
        /// 8C.
        PrivatelyFosteredOverseasStaying => "8C", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - overseas children who intend to stay";
        /// 8D.
        PrivatelyFosteredEducational => "8D", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - UK children in educational placements";
        /// 8E.
        PrivatelyFosteredFamilyArrangement => "8E", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - UK children making alternative family arrangements";
        /// 8F.
        PrivatelyFosteredOther => "8F", "Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - other";
        /// 9A.
        UnaccompaniedAsylumSeeking => "9A", "UASC: concerns that services may be required or the child may be at risk of harm as an unaccompanied asylum-seeking child";
        /// 10A.
        Missing => "10A", "Missing: concerns that services may be required or the child may be at risk of harm due to going/being missing";
        /// 11A.
        SexualExploitation => "11A", "Child sexual exploitation: concerns that services may be required or the child may be at risk of harm due to child sexual exploitation";
        /// 12A.
        Trafficking => "12A", "Trafficking: concerns that services may be required or the child may be at risk of harm due to trafficking";
        /// 13A.
        Gangs => "13A", "Gangs: concerns that services may be required or the child may be at risk of harm because of involvement in/with gangs";
        /// 14A.
        SociallyUnacceptableBehaviour => "14A", "Socially unacceptable behaviour: concerns that services may be required or the child may be at risk due to their socially unacceptable behaviour";
        /// 15A.
        SelfHarm => "15A", "Self-harm: concerns that services may be required or due to suspected/actual self-harming child may be at risk of harm";
        /// 16A.
        Neglect => "16A", "Abuse or neglect – ‘NEGLECT’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect";
        /// 17A.
        EmotionalAbuse => "17A", "Abuse or neglect – ‘EMOTIONAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect";
        /// 18A: deprecated, use 18B or 18C (CIN query 8945Q). Kept so older records still read.
        PhysicalAbuse => "18A", "Abuse or neglect – ‘PHYSICAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect.";
        /// 18B.
        PhysicalAbuseByChild => "18B", "Abuse or neglect – ‘PHYSICAL ABUSE’ (child on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by another child";
        /// 18C.
        PhysicalAbuseByAdult => "18C", "Abuse or neglect – ‘PHYSICAL ABUSE’ (adult on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by an adult";
        /// 19A: deprecated, use 19B or 19C (CIN query 8950Q). Kept so older records still read.
        SexualAbuse => "19A", "Abuse or neglect – ‘SEXUAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect.";
        /// 19B.
        SexualAbuseByChild => "19B", "Abuse or neglect – ‘SEXUAL ABUSE’ (child on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by another child";
        /// 19C.
        SexualAbuseByAdult => "19C", "Abuse or neglect – ‘SEXUAL ABUSE’ (adult on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by an adult";
        /// 20.
        Other => "20", "Other";
        /// 21: no factors; only on its own (CIN rule 8869).
        NoFactors => "21", "No factors identified - only use this if there is no evidence of any of the factors above and no further action is being taken";
        /// 22A.
        FemaleGenitalMutilation => "22A", "Female genital mutilation (FGM) - concerns that services may be required or the child may be at risk due to female genital mutilation";
        /// 23A.
        FaithOrBelief => "23A", "Abuse linked to faith or belief - concerns that services may be required or the child may be at risk due to abuse linked to faith or belief";
        /// 24A.
        CriminalExploitation => "24A", "Child criminal exploitation: concerns that services may be required or the child may be at risk of harm due to child criminal exploitation";
    }
}

impl AssessmentFactor {
    /// True for 18A and 19A, which the census replaced with child-on-child and adult-on-child
    /// codes (CIN queries 8945Q and 8950Q). Forms should not offer them for new assessments.
    pub const fn is_deprecated(self) -> bool {
        matches!(
            self,
            AssessmentFactor::PhysicalAbuse | AssessmentFactor::SexualAbuse
        )
    }

    /// The codes to use instead of a deprecated one; empty for current codes.
    pub const fn replaced_by(self) -> &'static [AssessmentFactor] {
        match self {
            AssessmentFactor::PhysicalAbuse => &[
                AssessmentFactor::PhysicalAbuseByChild,
                AssessmentFactor::PhysicalAbuseByAdult,
            ],
            AssessmentFactor::SexualAbuse => &[
                AssessmentFactor::SexualAbuseByChild,
                AssessmentFactor::SexualAbuseByAdult,
            ],
            _ => &[],
        }
    }
}

coded_enum! {
    /// The category of abuse of a child protection plan: the CIN census `InitialCategoryOfAbuse`
    /// and `LatestCategoryOfAbuse` (spec §1.8; CIN census XSD `categoryofabusetype`, labels from
    /// its annotations; validated by CIN rules 8905 and 8910). Set by the conference chair as the
    /// primary presenting concern; a plan keeps both its initial and its latest category.
    AbuseCategory, "category of abuse" {
        /// NEG.
        Neglect => "NEG", "Neglect";
        /// PHY.
        Physical => "PHY", "Physical abuse";
        /// SAB.
        Sexual => "SAB", "Sexual abuse";
        /// EMO.
        Emotional => "EMO", "Emotional abuse";
        /// MUL: the census discourages it ("not recommended").
        Multiple => "MUL", "Multiple/not recommended";
    }
}

coded_enum! {
    /// Why a CIN episode closed: the CIN census `ReasonForClosure` (spec §1.9; CIN census XSD
    /// `reasonforclosuretype`, labels from its annotations; validated by CIN rule 8640).
    ClosureReason, "reason for closure" {
        /// RC1.
        Adopted => "RC1", "Adopted";
        /// RC2 (CIN query 8585Q expects a date of death).
        Died => "RC2", "Died";
        /// RC3.
        ChildArrangementsOrder => "RC3", "Child arrangements order";
        /// RC4.
        SpecialGuardianshipOrder => "RC4", "Special guardianship order";
        /// RC5.
        TransferredToAnotherLa => "RC5", "Transferred to services of another local authority";
        /// RC6.
        TransferredToAdultServices => "RC6", "Transferred to adult social care services";
        /// RC7.
        ServicesCeased => "RC7", "Services ceased for any other reason, including child no longer in need";
        /// RC8: only after an assessment (CIN query 8825Q).
        AfterAssessmentNfa => "RC8", "Case closed after assessment, no further action";
        /// RC9: only after an assessment (CIN query 8825Q).
        AfterAssessmentEarlyHelp => "RC9", "Case closed after assessment, referred to early help";
    }
}

impl ClosureReason {
    /// RC8 and RC9 close a case after an assessment (CIN query 8825Q).
    pub const fn is_after_assessment(self) -> bool {
        matches!(
            self,
            ClosureReason::AfterAssessmentNfa | ClosureReason::AfterAssessmentEarlyHelp
        )
    }
}

coded_enum! {
    /// The child's primary need: the CIN census `PrimaryNeedCode` (N00101) (spec §1.9; CIN census
    /// XSD 2026 `primaryneedcodetype`, labels from its annotations — N1 was "Abuse or neglect"
    /// until the 2025 schema; validated by CIN rules 8650 and 8610). The SSDA903 `CIN` column
    /// uses N1 to N8 only.
    PrimaryNeed, "primary need" {
        /// N1.
        AbuseOrNeglect => "N1", "Abuse, neglect and exploitation";
        /// N2.
        ChildDisability => "N2", "Child's disability";
        /// N3.
        ParentalDisabilityOrIllness => "N3", "Parental disability or illness";
        /// N4.
        FamilyInAcuteStress => "N4", "Family in acute stress";
        /// N5.
        FamilyDysfunction => "N5", "Family dysfunction";
        /// N6.
        SociallyUnacceptableBehaviour => "N6", "Socially unacceptable behaviour";
        /// N7.
        LowIncome => "N7", "Low income";
        /// N8.
        AbsentParenting => "N8", "Absent parenting";
        /// N9.
        OtherThanInNeed => "N9", "Cases other than children in need";
        /// N0.
        NotStated => "N0", "Not stated";
    }
}

coded_enum! {
    /// The legal status of a looked-after child: the SSDA903 episode column `LS` (spec §1.9 and
    /// §7.2; codes from the SSDA903 schema, labels from the return's code table as published in
    /// the DfE guide and the open-source validators). See [`LegalStatus::cp_is_section`] for the
    /// statuses CP-IS shares.
    LegalStatus, "legal status" {
        /// C1: Children Act 1989 s38.
        InterimCareOrder => "C1", "Interim care order";
        /// C2: Children Act 1989 s31.
        FullCareOrder => "C2", "Full care order";
        /// D1.
        FreeingOrder => "D1", "Freeing order granted";
        /// E1: Adoption and Children Act 2002 s21.
        PlacementOrder => "E1", "Placement order granted";
        /// J1.
        Remanded => "J1", "Remanded to local authority accommodation or to youth detention accommodation";
        /// J2.
        PaceAccommodation => "J2", "Placed in local authority accommodation under the Police and Criminal Evidence Act 1984, including secure accommodation";
        /// J3.
        YouthRehabilitationOrder => "J3", "Sentenced to a youth rehabilitation order with a residence or intensive fostering requirement";
        /// L1: Children Act 1989 s46.
        PoliceProtection => "L1", "Under police protection and in local authority accommodation";
        /// L2: Children Act 1989 s44.
        EmergencyProtectionOrder => "L2", "Emergency protection order (EPO)";
        /// L3: Children Act 1989 s43.
        ChildAssessmentOrder => "L3", "Under child assessment order and in local authority accommodation";
        /// V2: Children Act 1989 s20.
        Section20Single => "V2", "Single period of accommodation under section 20 (Children Act 1989)";
        /// V3: Children Act 1989 s20.
        Section20ShortBreaksEpisodes => "V3", "Accommodated under an agreed series of short-term breaks, when individual episodes of care are recorded";
        /// V4: Children Act 1989 s20.
        Section20ShortBreaksAgreements => "V4", "Accommodated under an agreed series of short-term breaks, when agreements are recorded (not individual episodes of care)";
    }
}

coded_enum! {
    /// The section of the Children Act 1989 under which CP-IS shares a child's looked-after
    /// status with unscheduled-care settings (spec §1.9 and §6.1: full care order s31, interim
    /// care order s38, voluntary accommodation s20).
    LookedAfterSection, "looked-after section" {
        /// Children Act 1989 s31: care order.
        S31CareOrder => "s31", "Care order (Children Act 1989 s31)";
        /// Children Act 1989 s38: interim care order.
        S38InterimCareOrder => "s38", "Interim care order (Children Act 1989 s38)";
        /// Children Act 1989 s20: accommodated by agreement.
        S20Accommodation => "s20", "Accommodated (Children Act 1989 s20)";
    }
}

impl LegalStatus {
    /// The section CP-IS shares the looked-after status under, or `None` for statuses CP-IS
    /// does not name (spec §6.1 names only s31, s38 and s20): C1 is s38, C2 is s31, V2/V3/V4
    /// are s20.
    pub const fn cp_is_section(self) -> Option<LookedAfterSection> {
        match self {
            LegalStatus::InterimCareOrder => Some(LookedAfterSection::S38InterimCareOrder),
            LegalStatus::FullCareOrder => Some(LookedAfterSection::S31CareOrder),
            LegalStatus::Section20Single
            | LegalStatus::Section20ShortBreaksEpisodes
            | LegalStatus::Section20ShortBreaksAgreements => {
                Some(LookedAfterSection::S20Accommodation)
            }
            LegalStatus::FreeingOrder
            | LegalStatus::PlacementOrder
            | LegalStatus::Remanded
            | LegalStatus::PaceAccommodation
            | LegalStatus::YouthRehabilitationOrder
            | LegalStatus::PoliceProtection
            | LegalStatus::EmergencyProtectionOrder
            | LegalStatus::ChildAssessmentOrder => None,
        }
    }
}

coded_enum! {
    /// The front door's decision on a referral, made within 1 working day of receipt (T1; spec
    /// §1.3 "the 1-WD decision must determine whether…" and the `REFERRAL_RECEIVED` exits in
    /// §1.4; WT18 flow chart 1).
    ScreeningOutcome, "screening outcome" {
        /// No further action, with advice to the referrer and family (state `NFA`; CIN
        /// `ReferralNFA` = true).
        NoFurtherAction => "nfa", "No further action, with advice";
        /// Step down: signpost to early help (state `EARLY_HELP`).
        EarlyHelp => "early_help", "Signpost to early help";
        /// Child and family assessment under Children Act 1989 s17 (state `CF_ASSESSMENT`).
        Assessment => "assessment", "Child and family assessment (section 17)";
        /// Strategy discussion: reasonable cause to suspect significant harm, s47 concerns
        /// (state `STRATEGY_DISCUSSION`).
        StrategyDiscussion => "strategy_discussion", "Strategy discussion (section 47 concerns)";
        /// Immediate protection: police protection or an emergency protection order (state
        /// `IMMEDIATE_PROTECTION`; WT18 flow chart 2).
        ImmediateProtection => "immediate_protection", "Immediate protection";
    }
}

coded_enum! {
    /// The kind of emergency action taken to protect a child at once (spec §1.4
    /// `IMMEDIATE_PROTECTION`; WT18 flow chart 2), each with its own statutory clock.
    ImmediateProtection, "immediate protection" {
        /// Police protection, Children Act 1989 s46: at most 72 hours (T11).
        PoliceProtection => "police_protection", "Police protection (Children Act 1989 s46)";
        /// Emergency protection order, Children Act 1989 s44: at most 8 days (T12).
        EmergencyProtectionOrder => "epo", "Emergency protection order (Children Act 1989 s44)";
    }
}

impl ImmediateProtection {
    /// The timescale that limits this kind of protection.
    pub const fn clock(self) -> RuleId {
        match self {
            ImmediateProtection::PoliceProtection => RuleId::T11PoliceProtection,
            ImmediateProtection::EmergencyProtectionOrder => RuleId::T12Epo,
        }
    }
}

coded_enum! {
    /// What a strategy discussion decided about next steps (spec §1.4
    /// `STRATEGY_DISCUSSION -> S47_ENQUIRY | CF_ASSESSMENT | CIN_PLAN`; §1.5; WT18 flow chart 4).
    StrategyOutcome, "strategy discussion outcome" {
        /// Section 47 enquiries are initiated; the discussion's date starts the T5 clock.
        S47Enquiry => "s47", "Start section 47 enquiries";
        /// Section 47 enquiries are not needed: assess under section 17.
        Assessment => "assessment", "Child and family assessment (section 17)";
        /// Section 47 enquiries are not needed: support under a child in need plan.
        CinPlan => "cin_plan", "Child in need plan";
    }
}

coded_enum! {
    /// The outcome of section 47 enquiries (spec §1.6 outcomes (a) to (c); Children Act 1989
    /// s47).
    S47Outcome, "section 47 outcome" {
        /// (a) Concerns not substantiated.
        NotSubstantiated => "not_substantiated", "Concerns not substantiated";
        /// (b) Concerns substantiated, but the child is not judged to be at continuing risk of
        /// significant harm: a child in need plan or support.
        SubstantiatedNoContinuingRisk => "substantiated_no_risk", "Substantiated, no continuing risk of significant harm";
        /// (c) Concerns substantiated and the child is at continuing risk of significant harm:
        /// an initial child protection conference (T5).
        ContinuingRisk => "continuing_risk", "Continuing risk of significant harm: initial child protection conference";
    }
}

impl S47Outcome {
    /// Only a finding of continuing risk leads to an initial child protection conference.
    pub const fn leads_to_conference(self) -> bool {
        matches!(self, S47Outcome::ContinuingRisk)
    }
}

coded_enum! {
    /// How a child and family assessment concludes (spec §1.4
    /// `CF_ASSESSMENT -> CIN_PLAN | CLOSED(RC8/RC9) | STRATEGY_DISCUSSION`; WT18 flow chart 3).
    AssessmentOutcome, "assessment outcome" {
        /// Services under a child in need plan (Children Act 1989 s17).
        CinPlan => "cin_plan", "Child in need plan";
        /// Concerns of significant harm emerged: strategy discussion.
        StrategyDiscussion => "strategy_discussion", "Strategy discussion";
        /// Close with no further action (RC8).
        CloseNoFurtherAction => "close_rc8", "Close: no further action (RC8)";
        /// Close and refer to early help (RC9).
        CloseEarlyHelp => "close_rc9", "Close: referred to early help (RC9)";
    }
}

impl AssessmentOutcome {
    /// The CIN census reason for closure this outcome records, if it closes the case.
    pub const fn closure_reason(self) -> Option<ClosureReason> {
        match self {
            AssessmentOutcome::CloseNoFurtherAction => Some(ClosureReason::AfterAssessmentNfa),
            AssessmentOutcome::CloseEarlyHelp => Some(ClosureReason::AfterAssessmentEarlyHelp),
            AssessmentOutcome::CinPlan | AssessmentOutcome::StrategyDiscussion => None,
        }
    }
}

coded_enum! {
    /// The kind of child protection conference (spec §1.2 T5, T7/T8 and T9; §1.7).
    ConferenceKind, "conference kind" {
        /// Initial child protection conference (ICPC): within 15 working days of the strategy
        /// discussion that started section 47 enquiries (T5).
        Initial => "initial", "Initial child protection conference";
        /// Review child protection conference (RCPC): within 3 months of the ICPC (T7), then
        /// at most every 6 months (T8).
        Review => "review", "Review child protection conference";
        /// Transfer-in conference for a child with a plan who moved here permanently: within
        /// 15 working days of the notification (T9).
        TransferIn => "transfer_in", "Transfer-in child protection conference";
    }
}

impl ConferenceKind {
    /// The timescale the conference is held within. A review's clock is T7 for the first
    /// review and T8 afterwards; this returns T7, and [`crate::clocks::review_conference_due`]
    /// picks the right one from the review history.
    pub const fn clock(self) -> RuleId {
        match self {
            ConferenceKind::Initial => RuleId::T5Icpc,
            ConferenceKind::Review => RuleId::T7FirstReview,
            ConferenceKind::TransferIn => RuleId::T9TransferIn,
        }
    }
}

coded_enum! {
    /// Why a child protection plan ended (spec §1.4 `CP_PLAN_ENDED`: "no longer at continuing
    /// risk; or moved permanently to another LA (receiving LA conference ≤15 WD); or child 18 /
    /// died / permanently left UK"; WT18 "Discontinuing the child protection plan").
    CpPlanEndReason, "plan end reason" {
        /// A review conference judged the child no longer at continuing risk of significant
        /// harm. Only a review conference can decide this.
        NoLongerAtRisk => "no_longer_at_risk", "No longer at continuing risk of significant harm";
        /// The child and family moved permanently to another local authority, which holds a
        /// transfer-in conference (T9).
        MovedToAnotherLa => "moved_la", "Moved permanently to another local authority";
        /// The child reached 18.
        Reached18 => "reached_18", "Reached 18";
        /// The child died.
        Died => "died", "Died";
        /// The child permanently left the United Kingdom.
        LeftUk => "left_uk", "Permanently left the United Kingdom";
    }
}

coded_enum! {
    /// Whether the family knows about and agrees to the referral, or why consent was not sought
    /// (spec §2.4 "shared with or without consent; if without, why (cannot be given / not
    /// reasonable to obtain / would prejudice protection)"; the three reasons are those of
    /// DPA 2018 Sch 1 para 18(2)). Consent is not the lawful basis for a safeguarding referral
    /// (ISA 2024: "consent should not be the default lawful basis"); record the basis as a
    /// [`LawfulBasis`] as well.
    ConsentStatus, "consent status" {
        /// The family knows and agrees.
        Given => "given", "The family knows and agrees";
        /// The family knows and does not agree; the referral goes ahead on its lawful basis
        /// (ISA 2024 golden rule 3).
        Refused => "refused", "The family knows and does not agree";
        /// Not sought: consent cannot be given (Sch 1 para 18(2)(a)).
        CannotBeGiven => "cannot_be_given", "Not sought: consent cannot be given";
        /// Not sought: the referrer cannot reasonably be expected to obtain it (para 18(2)(b)).
        NotReasonable => "not_reasonable", "Not sought: cannot reasonably be obtained";
        /// Not sought: seeking it would prejudice the child's protection (para 18(2)(c)), for
        /// example by alerting an alleged abuser.
        WouldPrejudice => "would_prejudice", "Not sought: asking would put the child at risk";
    }
}

impl ConsentStatus {
    /// True when consent was asked for (whether given or refused).
    pub const fn was_sought(self) -> bool {
        matches!(self, ConsentStatus::Given | ConsentStatus::Refused)
    }
}

coded_enum! {
    /// Which layer of data-protection law a [`LawfulBasis`] belongs to (spec §2.3).
    LawfulBasisLayer, "lawful basis layer" {
        /// UK GDPR Article 6: every processing of personal data needs one.
        Article6 => "art6", "UK GDPR Article 6 (personal data)";
        /// UK GDPR Article 9 with a DPA 2018 Schedule 1 condition: special category data
        /// (health, ethnicity, sex life…).
        Article9 => "art9", "UK GDPR Article 9 (special category data)";
        /// DPA 2018 Part 3: sensitive processing by a competent authority (police) for law
        /// enforcement.
        LawEnforcement => "part3", "DPA 2018 Part 3 (law enforcement)";
    }
}

coded_enum! {
    /// The lawful basis for sharing information about a child (spec §2.3, UK GDPR and DPA 2018).
    /// A sharing decision records an Article 6 basis and, for special category data, an
    /// Article 9 condition ([`LawfulBasis::layer`]). Consent is listed for completeness but is
    /// not the default in safeguarding (ISA 2024).
    LawfulBasis, "lawful basis" {
        /// UK GDPR Art 6(1)(e): public task — the principal basis for LAs, police, NHS and
        /// schools.
        PublicTask => "art6_1_e", "UK GDPR Art 6(1)(e): public task";
        /// UK GDPR Art 6(1)(c): legal obligation (e.g. Children Act 1989 s47, Children Act 2004
        /// s11 and s16H, Children's Wellbeing and Schools Act 2026 s4).
        LegalObligation => "art6_1_c", "UK GDPR Art 6(1)(c): legal obligation";
        /// UK GDPR Art 6(1)(d): vital interests.
        VitalInterests => "art6_1_d", "UK GDPR Art 6(1)(d): vital interests";
        /// UK GDPR Art 6(1)(f): legitimate interests — not available to public authorities
        /// performing their tasks.
        LegitimateInterests => "art6_1_f", "UK GDPR Art 6(1)(f): legitimate interests (not for public authorities' tasks)";
        /// UK GDPR Art 6(1)(a): consent — not the default in safeguarding.
        Consent => "art6_1_a", "UK GDPR Art 6(1)(a): consent";
        /// UK GDPR Art 9(2)(g) substantial public interest with DPA 2018 Sch 1 para 18,
        /// "Safeguarding of children and of individuals at risk": lets special category data be
        /// shared without consent.
        SafeguardingOfChildren => "art9_2_g_sch1_18", "UK GDPR Art 9(2)(g) and DPA 2018 Sch 1 para 18: safeguarding of children and of individuals at risk";
        /// UK GDPR Art 9(2)(b) with DPA 2018 Sch 1 para 1: social protection law.
        SocialProtection => "art9_2_b_sch1_1", "UK GDPR Art 9(2)(b) and DPA 2018 Sch 1 para 1: employment, social security and social protection";
        /// UK GDPR Art 9(2)(h) with DPA 2018 Sch 1 para 2: health or social care purposes.
        HealthOrSocialCare => "art9_2_h_sch1_2", "UK GDPR Art 9(2)(h) and DPA 2018 Sch 1 para 2: health or social care";
        /// UK GDPR Art 9(2)(c): vital interests — not available if the person can consent but
        /// refuses.
        VitalInterestsSpecial => "art9_2_c", "UK GDPR Art 9(2)(c): vital interests";
        /// DPA 2018 Sch 8 para 4: sensitive processing by police to safeguard children and
        /// individuals at risk.
        LawEnforcementSafeguarding => "dpa_sch8_4", "DPA 2018 Sch 8 para 4: safeguarding of children and of individuals at risk (law enforcement)";
    }
}

impl LawfulBasis {
    /// The layer of the law this basis belongs to.
    pub const fn layer(self) -> LawfulBasisLayer {
        match self {
            LawfulBasis::PublicTask
            | LawfulBasis::LegalObligation
            | LawfulBasis::VitalInterests
            | LawfulBasis::LegitimateInterests
            | LawfulBasis::Consent => LawfulBasisLayer::Article6,
            LawfulBasis::SafeguardingOfChildren
            | LawfulBasis::SocialProtection
            | LawfulBasis::HealthOrSocialCare
            | LawfulBasis::VitalInterestsSpecial => LawfulBasisLayer::Article9,
            LawfulBasis::LawEnforcementSafeguarding => LawfulBasisLayer::LawEnforcement,
        }
    }
}

coded_enum! {
    /// How urgent a referral is, as the referrer judges it. Declared most urgent first, so
    /// sorting ascending puts the most urgent referral at the top of the front-door queue.
    /// The statutory decision time is T1 whatever the urgency; tighter local targets are
    /// configuration (spec §9.4).
    Urgency, "urgency" {
        /// The child is in immediate danger or not safe now: phone the police (999) or the
        /// front door as well.
        Immediate => "immediate", "Immediate danger: the child is not safe now";
        /// Needs a decision today.
        Urgent => "urgent", "Urgent: needs a decision today";
        /// A decision within 1 working day (T1).
        Standard => "standard", "Standard: decision within 1 working day";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::collections::BTreeSet;

    /// The census schema the CIN codes come from (copied from `shared/data/dfe-returns`).
    const CIN_XSD: &str = include_str!("../data/CIN_schema_2026.xsd");

    /// The `(value, documentation)` pairs of one `xs:simpleType` enumeration in the XSD, read
    /// with plain string search so the test needs no XML parser.
    fn xsd_enumeration(type_name: &str) -> Vec<(String, String)> {
        let start = CIN_XSD
            .find(&format!("<xs:simpleType name=\"{type_name}\">"))
            .unwrap_or_else(|| panic!("{type_name} is not in the XSD"));
        let body = &CIN_XSD[start..];
        let body = &body[..body.find("</xs:simpleType>").unwrap()];
        body.split("<xs:enumeration value=\"")
            .skip(1)
            .map(|chunk| {
                let value = &chunk[..chunk.find('"').unwrap()];
                let doc = chunk
                    .split_once("<xs:documentation>")
                    .and_then(|(_, rest)| rest.split_once("</xs:documentation>"))
                    .map_or("", |(doc, _)| doc);
                (
                    value.to_owned(),
                    doc.replace("&amp;", "&").trim().to_owned(),
                )
            })
            .collect()
    }

    fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|v| code(*v).to_owned()).collect()
    }

    #[rstest]
    #[case::referral_source("referralsourcetype", codes(ReferralSource::ALL, ReferralSource::code))]
    #[case::assessment_factors(
        "assessmentfactorstype",
        codes(AssessmentFactor::ALL, AssessmentFactor::code)
    )]
    #[case::category_of_abuse(
        "categoryofabusetype",
        codes(AbuseCategory::ALL, AbuseCategory::code)
    )]
    #[case::primary_need("primaryneedcodetype", codes(PrimaryNeed::ALL, PrimaryNeed::code))]
    #[case::reason_for_closure(
        "reasonforclosuretype",
        codes(ClosureReason::ALL, ClosureReason::code)
    )]
    fn cin_codes_are_exactly_the_xsd_enumeration_in_order(
        #[case] type_name: &str,
        #[case] ours: Vec<String>,
    ) {
        let xsd: Vec<String> = xsd_enumeration(type_name)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert_eq!(ours, xsd);
    }

    #[rstest]
    #[case::assessment_factors("assessmentfactorstype", AssessmentFactor::ALL.iter().map(|f| (f.code(), f.label())).collect())]
    #[case::category_of_abuse("categoryofabusetype", AbuseCategory::ALL.iter().map(|f| (f.code(), f.label())).collect())]
    #[case::primary_need("primaryneedcodetype", PrimaryNeed::ALL.iter().map(|f| (f.code(), f.label())).collect())]
    #[case::reason_for_closure("reasonforclosuretype", ClosureReason::ALL.iter().map(|f| (f.code(), f.label())).collect())]
    fn cin_labels_are_the_xsd_annotations(
        #[case] type_name: &str,
        #[case] ours: Vec<(&'static str, &'static str)>,
    ) {
        let xsd = xsd_enumeration(type_name);
        assert_eq!(ours.len(), xsd.len());
        for ((code, label), (xsd_code, xsd_doc)) in ours.into_iter().zip(xsd) {
            assert_eq!(code, xsd_code);
            assert_eq!(label, xsd_doc, "label of {code}");
        }
    }

    #[test]
    fn referral_source_labels_say_the_same_as_the_xsd_in_sentence_case() {
        // The spec's labels are the XSD's, de-capitalised: check the first word agrees so a
        // label cannot drift to another code's meaning.
        for (source, (code, doc)) in ReferralSource::ALL
            .iter()
            .zip(xsd_enumeration("referralsourcetype"))
        {
            assert_eq!(source.code(), code);
            let ours = source
                .label()
                .split([' ', '–'])
                .next()
                .unwrap()
                .to_lowercase();
            let theirs = doc
                .trim_start_matches('(')
                .split([' ', '–'])
                .next()
                .unwrap()
                .to_lowercase();
            assert_eq!(ours, theirs, "{code}: '{}' vs '{doc}'", source.label());
        }
        assert_eq!(ReferralSource::ALL.len(), 22, "spec §1.3: 22 codes");
    }

    #[test]
    fn legal_status_codes_are_the_ssda903_set() {
        let ours: BTreeSet<&str> = LegalStatus::ALL.iter().map(|s| s.code()).collect();
        let spec: BTreeSet<&str> = [
            "C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4",
        ]
        .into_iter()
        .collect();
        assert_eq!(ours, spec);
    }

    #[rstest]
    #[case(
        LegalStatus::InterimCareOrder,
        Some(LookedAfterSection::S38InterimCareOrder)
    )]
    #[case(LegalStatus::FullCareOrder, Some(LookedAfterSection::S31CareOrder))]
    #[case(
        LegalStatus::Section20Single,
        Some(LookedAfterSection::S20Accommodation)
    )]
    #[case(
        LegalStatus::Section20ShortBreaksEpisodes,
        Some(LookedAfterSection::S20Accommodation)
    )]
    #[case(
        LegalStatus::Section20ShortBreaksAgreements,
        Some(LookedAfterSection::S20Accommodation)
    )]
    #[case(LegalStatus::PlacementOrder, None)]
    #[case(LegalStatus::PoliceProtection, None)]
    #[case(LegalStatus::Remanded, None)]
    fn cp_is_shares_s31_s38_and_s20(
        #[case] status: LegalStatus,
        #[case] expected: Option<LookedAfterSection>,
    ) {
        assert_eq!(status.cp_is_section(), expected);
    }

    #[test]
    fn exactly_five_legal_statuses_are_shared_by_cp_is() {
        let shared = LegalStatus::ALL
            .iter()
            .filter(|s| s.cp_is_section().is_some())
            .count();
        assert_eq!(shared, 5);
    }

    /// Every code of every enum here parses back to itself, serialises as its code, and codes
    /// and labels are unique within the enum.
    fn round_trips<T>(all: &[T], code: fn(T) -> &'static str, label: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
        T: std::str::FromStr,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        let mut seen_codes = BTreeSet::new();
        let mut seen_labels = BTreeSet::new();
        for v in all {
            assert_eq!(code(*v).parse::<T>().unwrap(), *v);
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{}\"", code(*v)));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *v);
            assert!(seen_codes.insert(code(*v)), "duplicate code {}", code(*v));
            assert!(
                seen_labels.insert(label(*v)),
                "duplicate label {}",
                label(*v)
            );
            assert!(!label(*v).is_empty());
        }
    }

    #[test]
    fn every_code_round_trips_and_is_unique() {
        round_trips(
            ReferralSource::ALL,
            ReferralSource::code,
            ReferralSource::label,
        );
        round_trips(
            AssessmentFactor::ALL,
            AssessmentFactor::code,
            AssessmentFactor::label,
        );
        round_trips(
            AbuseCategory::ALL,
            AbuseCategory::code,
            AbuseCategory::label,
        );
        round_trips(
            ClosureReason::ALL,
            ClosureReason::code,
            ClosureReason::label,
        );
        round_trips(PrimaryNeed::ALL, PrimaryNeed::code, PrimaryNeed::label);
        round_trips(LegalStatus::ALL, LegalStatus::code, LegalStatus::label);
        round_trips(
            LookedAfterSection::ALL,
            LookedAfterSection::code,
            LookedAfterSection::label,
        );
        round_trips(
            ScreeningOutcome::ALL,
            ScreeningOutcome::code,
            ScreeningOutcome::label,
        );
        round_trips(
            ImmediateProtection::ALL,
            ImmediateProtection::code,
            ImmediateProtection::label,
        );
        round_trips(
            StrategyOutcome::ALL,
            StrategyOutcome::code,
            StrategyOutcome::label,
        );
        round_trips(S47Outcome::ALL, S47Outcome::code, S47Outcome::label);
        round_trips(
            AssessmentOutcome::ALL,
            AssessmentOutcome::code,
            AssessmentOutcome::label,
        );
        round_trips(
            ConferenceKind::ALL,
            ConferenceKind::code,
            ConferenceKind::label,
        );
        round_trips(
            CpPlanEndReason::ALL,
            CpPlanEndReason::code,
            CpPlanEndReason::label,
        );
        round_trips(
            ConsentStatus::ALL,
            ConsentStatus::code,
            ConsentStatus::label,
        );
        round_trips(
            LawfulBasisLayer::ALL,
            LawfulBasisLayer::code,
            LawfulBasisLayer::label,
        );
        round_trips(LawfulBasis::ALL, LawfulBasis::code, LawfulBasis::label);
        round_trips(Urgency::ALL, Urgency::code, Urgency::label);
    }

    #[rstest]
    #[case::lower_case_is_not_a_census_code("rc1")]
    #[case::empty("")]
    #[case::retired_private_fostering_code("8A")]
    fn unknown_codes_are_refused_with_what_was_expected(#[case] code: &str) {
        assert!(ClosureReason::parse(code).is_err());
        let err = AssessmentFactor::parse(code).unwrap_err();
        assert_eq!(err.what, "assessment factor");
        assert!(serde_json::from_str::<AssessmentFactor>(&format!("\"{code}\"")).is_err());
    }

    #[test]
    fn parsing_trims_surrounding_space() {
        assert_eq!(ReferralSource::parse(" 2A "), Ok(ReferralSource::Schools));
        assert_eq!(ReferralSource::parse("10"), Ok(ReferralSource::Unknown));
        assert_eq!(
            ReferralSource::parse("1"),
            Err(crate::coded::UnknownCode {
                what: "referral source",
                value: "1".to_owned()
            })
        );
    }

    #[test]
    fn deprecated_factors_name_their_replacements() {
        let deprecated: Vec<_> = AssessmentFactor::ALL
            .iter()
            .filter(|f| f.is_deprecated())
            .map(|f| f.code())
            .collect();
        assert_eq!(deprecated, ["18A", "19A"]);
        for f in AssessmentFactor::ALL {
            assert_eq!(f.is_deprecated(), !f.replaced_by().is_empty(), "{f:?}");
            for r in f.replaced_by() {
                assert!(!r.is_deprecated());
                assert_eq!(&r.code()[..2], &f.code()[..2], "{f:?} -> {r:?}");
            }
        }
    }

    #[test]
    fn only_rc8_and_rc9_close_after_assessment() {
        let after: Vec<_> = ClosureReason::ALL
            .iter()
            .filter(|r| r.is_after_assessment())
            .map(|r| r.code())
            .collect();
        assert_eq!(after, ["RC8", "RC9"]);
        assert_eq!(
            AssessmentOutcome::CloseNoFurtherAction.closure_reason(),
            Some(ClosureReason::AfterAssessmentNfa)
        );
        assert_eq!(
            AssessmentOutcome::CloseEarlyHelp.closure_reason(),
            Some(ClosureReason::AfterAssessmentEarlyHelp)
        );
        assert_eq!(AssessmentOutcome::CinPlan.closure_reason(), None);
        assert_eq!(AssessmentOutcome::StrategyDiscussion.closure_reason(), None);
    }

    #[test]
    fn urgency_sorts_most_urgent_first() {
        let mut v = vec![Urgency::Standard, Urgency::Immediate, Urgency::Urgent];
        v.sort();
        assert_eq!(v, [Urgency::Immediate, Urgency::Urgent, Urgency::Standard]);
    }

    #[test]
    fn immediate_protection_has_its_own_clock() {
        assert_eq!(
            ImmediateProtection::PoliceProtection.clock(),
            RuleId::T11PoliceProtection
        );
        assert_eq!(
            ImmediateProtection::EmergencyProtectionOrder.clock(),
            RuleId::T12Epo
        );
        assert_eq!(ConferenceKind::Initial.clock(), RuleId::T5Icpc);
        assert_eq!(ConferenceKind::TransferIn.clock(), RuleId::T9TransferIn);
    }

    #[test]
    fn only_continuing_risk_leads_to_a_conference() {
        let to_conference: Vec<_> = S47Outcome::ALL
            .iter()
            .filter(|o| o.leads_to_conference())
            .collect();
        assert_eq!(to_conference, [&S47Outcome::ContinuingRisk]);
    }

    #[test]
    fn lawful_bases_cite_their_article_and_sit_in_one_layer() {
        for b in LawfulBasis::ALL {
            let label = b.label();
            match b.layer() {
                LawfulBasisLayer::Article6 => {
                    assert!(label.starts_with("UK GDPR Art 6(1)("), "{label}")
                }
                LawfulBasisLayer::Article9 => {
                    assert!(label.starts_with("UK GDPR Art 9(2)("), "{label}")
                }
                LawfulBasisLayer::LawEnforcement => {
                    assert!(label.starts_with("DPA 2018 Sch 8"), "{label}")
                }
            }
        }
        assert_eq!(
            LawfulBasis::SafeguardingOfChildren.layer(),
            LawfulBasisLayer::Article9
        );
        assert!(
            LawfulBasis::SafeguardingOfChildren
                .label()
                .contains("Sch 1 para 18")
        );
    }

    #[test]
    fn consent_was_sought_only_when_given_or_refused() {
        let sought: Vec<_> = ConsentStatus::ALL
            .iter()
            .filter(|c| c.was_sought())
            .collect();
        assert_eq!(sought, [&ConsentStatus::Given, &ConsentStatus::Refused]);
    }
}
