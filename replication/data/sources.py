"""The registry of raw sources and the catalogue of real-panel indicators.

Written here; data, no computation. :data:`SOURCES` lists every raw file the builders read
(paths relative to the raw directory, laid out as in its ``INVENTORY.md``), who publishes it,
where, under which licence, and how its years map to the panel year. :data:`CATALOGUE` lists
every indicator of the real panel: its unit and definition, and for each source that
provides it the role that source plays when :func:`replication.data.build.build_panel` merges
them (``primary``: used first, in the order listed; ``fill``: used where the primary sources
have no value; ``check``: never used, only compared, and a difference beyond rounding is
reported as a conflict).

Panel year (METHODS.md section 1): the year ending 31 March (2013 = 2012-13).

- DfE collections at 31 March or over the year to 31 March (CIN census, SSDA903 CLA return):
  the collection year as published (EES ``time_period`` 2013 = 2012-13 -> 2013).
- ONS mid-year (30 June) population estimates: mid-year Y -> panel year Y + 1, the estimate
  DfE uses for the rates of the year ending 31 March Y + 1 (checked: 79% of the CIN rates in
  LAIT are reproduced to 0.05 from mid-year Y - 1 populations, 2% from mid-year Y; the rest
  differ by later ONS revisions).
- Children's social work workforce (CSWW, SFR07/SFR08): at 30 September Y -> panel year Y + 1
  (30 September 2017 lies in the year ending 31 March 2018). LAIT's workforce items carry the
  September year too and are shifted the same way.
- s251 outturn (and LAIT's finance items): financial year (Y-1)-Y -> panel year Y
  (FY 2013-14 -> 2014).
- Ofsted judgements are kept as dates in ``Panel.las`` (inspection_year = calendar year of
  the first SIF inspection's start; inspection_panel_year = the panel year containing it).

Licence: all the statistics are Crown copyright, published by DfE, ONS, MHCLG and Ofsted
under the Open Government Licence v3.0 (the public repositories they were found in hold
them as published; their own code licences do not cover the data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .panel import INDICATORS, Indicator

OGL = "Open Government Licence v3.0 (Crown copyright)"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

EES = "CSC_outcomes_and_enablers/data-raw"
CLA_DIR = "childrens_social_care_data/Raw_Data/LA_level/Children_Placement_Characteristics"
SPEND_DIR = "childrens_social_care_data/Raw_Data/LA_level/LA_Spend"
LAIT_DIR = "local-authority-interactive-tool"

EES_CIN = "https://explore-education-statistics.service.gov.uk/find-statistics/characteristics-of-children-in-need"
EES_CLA = ("https://explore-education-statistics.service.gov.uk/find-statistics/"
           "children-looked-after-in-england-including-adoptions")
EES_CSWW = ("https://explore-education-statistics.service.gov.uk/find-statistics/"
            "children-s-social-work-workforce")
S251_URL = "https://www.gov.uk/government/collections/section-251-materials"
LAIT_URL = "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait"
OFSTED_URL = ("https://www.gov.uk/government/statistical-data-sets/"
              "local-authority-childrens-services-inspections-and-outcomes")
IMD_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"


@dataclass(frozen=True)
class Source:
    """One raw source: ``files`` relative to the raw directory."""

    key: str
    title: str
    files: tuple[str, ...]
    publisher: str
    published_at: str
    found_in: str
    years: str
    year_mapping: str
    builder: str
    licence: str = OGL
    note: str = ""


def _cla(year: int, *names: str) -> tuple[str, ...]:
    sub = f"{year}/UnderlyingData" if year == 2012 else str(year)
    return tuple(f"{CLA_DIR}/{sub}/{n}" for n in names)


#: Files of the SSDA903 SFR tables by year: (CLA at 31 March and during the year, starts).
CLA_SFR_FILES: dict[int, dict[str, str]] = {
    2010: {"march": _cla(2010, "SFR27_2010_March.csv")[0],
           "started": _cla(2010, "SFR27_2010_Started.csv")[0]},
    2011: {"cla": _cla(2011, "SFR21_CLA.csv")[0], "adm": _cla(2011, "SFE21_ADM.csv")[0]},
    2012: {"cla": _cla(2012, "SFR20_CLA2012.csv")[0], "adm": _cla(2012, "SFR20_ADM2012.csv")[0]},
    2013: {"cla": _cla(2013, "SFR36_CLA2013.csv")[0], "adm": _cla(2013, "SFR36_ADM2013.csv")[0]},
    2014: {"cla": _cla(2014, "SFR36_CLA2014.csv")[0], "adm": _cla(2014, "SFR36_ADM2014.csv")[0]},
    2015: {"cla": _cla(2015, "SFR34_CLA2015.csv")[0], "adm": _cla(2015, "SFR34_ADM2015.csv")[0],
           "missing": _cla(2015, "SFR34_Missing2015.csv")[0]},
    2016: {"cla": _cla(2016, "SFR41_CLA2016.csv")[0], "adm": _cla(2016, "SFR41_ADM2016.csv")[0],
           "missing": _cla(2016, "SFR41_Missing2016.csv")[0]},
    2017: {"cla": _cla(2017, "SFR50_CLA2017.csv")[0], "adm": _cla(2017, "SFR50_ADM2017.csv")[0],
           "missing": _cla(2017, "SFR50_Missing_2017.csv")[0]},
}
CLA_EES_NUMBER = f"{CLA_DIR}/post_2017/data/cla_number_and_rate_per_10k_children.csv"
CLA_EES_MISSING = (f"{CLA_DIR}/post_2017/data/"
                   "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv")
S251_FILES: dict[int, str] = {y: f"{SPEND_DIR}/outturn_{(y - 1) % 100:02d}{y % 100:02d}.csv"
                              for y in range(2009, 2015)}
LAIT_FILES = (f"{LAIT_DIR}/bds_long_0_HEAD_2026-04-08.parquet",
              f"{LAIT_DIR}/bds_long_0_09c1940_2024-11-15.parquet")
OUT_DIR = "childrens_social_care_data/Raw_Data/LA_level/Children_Outcomes"
#: Files of :mod:`replication.data.outcomes` by reader key.
OUTCOME_FILES: dict[str, str] = {
    "ks2": f"{OUT_DIR}/Post_2016_files/ks2_la.csv",
    "ks4": f"{OUT_DIR}/Post_2016_files/ks4_la.csv",
    "absence": f"{OUT_DIR}/Post_2016_files/absence_six_half_terms_la.csv",
    "sen": f"{OUT_DIR}/Post_2016_files/sen_la.csv",
    "exclusions": f"{OUT_DIR}/Post_2016_files/permanent_exclusions_and_suspensions_la.csv",
    "oc2": f"{OUT_DIR}/Post_2016_files/la_conviction_health_outcome_cla.csv",
    "stability": f"{CLA_DIR}/post_2017/data/la_cla_at_31_march_placement_stability_indicator.csv",
    "leavers_activity": f"{CLA_DIR}/post_2017/data/la_care_leavers_activity.csv",
    "leavers_accommodation": f"{CLA_DIR}/post_2017/data/la_care_leavers_accommodation_suitability.csv",
    "sfr_absence": f"{OUT_DIR}/2015_LA/sheet6_absence.csv",
    "sfr_ks4": f"{OUT_DIR}/2015_LA/sheet3_ks4.csv",
}
EES_CIN_OUTCOMES = ("https://explore-education-statistics.service.gov.uk/find-statistics/"
                    "outcomes-for-children-in-need-including-children-looked-after-by-local-"
                    "authorities-in-england")

SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("ons", "ONS mid-year population estimates, children aged 0 to 17 (as used by DfE)",
           (f"{EES}/ons_mid-year_population_estimates_2012_to_2024.csv",),
           "ONS, via DfE Explore Education Statistics", EES_CIN,
           "dfe-analytical-services/CSC_outcomes_and_enablers", "mid-2012 to mid-2024",
           "mid-year Y -> panel year Y+1", "population"),
    Source("sfr27_pop", "Mid-2009 population aged 0-17 in the SFR27/2010 CLA table",
           (CLA_SFR_FILES[2010]["march"],), "DfE (ONS estimates)", EES_CLA,
           "BenGoodair/childrens_social_care_data", "mid-2009",
           "mid-year 2009 -> panel year 2010", "population"),
    Source("cla_ees_pop", "Population aged 0-17 used for the CLA rates 2018-2022",
           (f"{CLA_DIR}/post_2017/data/cla_number_and_rate_per_10k_children.csv",),
           "DfE (ONS estimates)", EES_CLA, "BenGoodair/childrens_social_care_data",
           "2018-2022", "time_period Y -> panel year Y (already the rate's denominator)",
           "population", note="fills Bournemouth, Poole and Dorset County 2018-2019, which "
                              "the ONS file lists as 'x'"),
    Source("cin_b1", "CIN census: children in need (episodes, at 31 March)",
           (f"{EES}/b1_children_in_need_2013_to_2025.csv",), "DfE", EES_CIN,
           "dfe-analytical-services/CSC_outcomes_and_enablers", "2013-2025",
           "time_period Y (year ending 31 March Y) -> Y", "cin"),
    Source("cin_c1", "CIN census: referrals and re-referrals",
           (f"{EES}/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",), "DfE",
           EES_CIN, "dfe-analytical-services/CSC_outcomes_and_enablers", "2013-2025",
           "time_period Y -> Y", "cin"),
    Source("cin_c4", "CIN census: section 47 enquiries and initial child protection conferences",
           (f"{EES}/c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv",), "DfE",
           EES_CIN, "dfe-analytical-services/CSC_outcomes_and_enablers (git history, 158bdad)",
           "2013-2025", "time_period Y -> Y", "cin"),
    Source("cin_d3", "CIN census: child protection plans starting, second or subsequent",
           (f"{EES}/d3_cpps_subsequent_plan_2013_to_2025.csv",), "DfE", EES_CIN,
           "dfe-analytical-services/CSC_outcomes_and_enablers", "2013-2025",
           "time_period Y -> Y", "cin"),
    Source("cin_d5", "CIN census: child protection plans at 31 March by duration",
           (f"{EES}/d5_cpps_at31march_by_duration_2013_to_2025.csv",), "DfE", EES_CIN,
           "dfe-analytical-services/CSC_outcomes_and_enablers", "2013-2025",
           "time_period Y -> Y", "cin"),
    Source("csww", "Children's social work workforce: indicators (release 2025)",
           (f"{EES}/csww_indicators_2017_to_2025.csv",), "DfE", EES_CSWW,
           "dfe-analytical-services/CSC_outcomes_and_enablers", "30 Sept 2017-2025",
           "30 September Y -> panel year Y+1", "workforce",
           note="Northamptonshire's successors published as one row '940 / 941' (excluded)"),
    Source("csww_2022", "Children's social work workforce: headline measures (release 2022)",
           (f"{EES}/csww_headline_measures_2017_to_2022.csv",), "DfE", EES_CSWW,
           "dfe-analytical-services/CSC_outcomes_and_enablers", "30 Sept 2017-2022",
           "30 September Y -> panel year Y+1", "workforce",
           note="an earlier release of the same measures: used only to check for revisions"),
    Source("sfr07", "SFR07/2016 children's social work workforce (underlying data)",
           ("Care-Markets/Data/SFR07_2016_UD.csv",), "DfE",
           "https://www.gov.uk/government/statistics/childrens-social-work-workforce-2015",
           "BenGoodair/Care-Markets", "30 Sept 2015", "30 September 2015 -> panel year 2016",
           "workforce"),
    Source("sfr08", "SFR08/2017 children's social work workforce (underlying data)",
           ("Care-Markets/Data/SFR08_2017_UD.csv",), "DfE",
           "https://www.gov.uk/government/statistics/childrens-social-work-workforce-2016",
           "BenGoodair/Care-Markets", "30 Sept 2016", "30 September 2016 -> panel year 2017",
           "workforce"),
    Source("lait", "Local Authority Interactive Tool, long data (two snapshots)",
           LAIT_FILES, "DfE", LAIT_URL, "dfe-analytical-services/local-authority-interactive-tool",
           "2015-2025 (finance FY 2015-16 to 2024-25)",
           "'2017' (year ending 31 March) -> 2017; workforce items: September Y -> Y+1; "
           "finance '2016-17 (OT)' -> 2017", "lait",
           note="the 2026-04-08 snapshot is used first; the 2024-11-15 snapshot fills 2015 "
                "and revisions between them are reported"),
    Source("s251", "Section 251 outturn, children's and young people's services, by LA and line",
           tuple(S251_FILES[y] for y in sorted(S251_FILES)), "DfE", S251_URL,
           "BenGoodair/childrens_social_care_data", "FY 2008-09 to 2013-14",
           "FY (Y-1)-Y -> panel year Y", "s251",
           note="FY 2014-15 is absent from every public repository found"),
    Source("cla_sfr", "SSDA903 children looked after: SFR LA tables 2010-2017",
           tuple(f for y in sorted(CLA_SFR_FILES) for f in CLA_SFR_FILES[y].values()), "DfE",
           EES_CLA, "BenGoodair/childrens_social_care_data", "31 March 2010-2017",
           "at 31 March Y / year ending 31 March Y -> Y", "cla",
           note="SFR34_ADM2015's starts column is headed CLA_started2014 but holds 2015 figures"),
    Source("cla_ees", "Children looked after: EES LA files (release 2022)",
           (CLA_EES_NUMBER, CLA_EES_MISSING), "DfE", EES_CLA,
           "BenGoodair/childrens_social_care_data", "2018-2022", "time_period Y -> Y", "cla"),
    Source("cin_outcomes_ees", "Outcomes for children in need, including children looked after: "
           "EES LA files (KS2, KS4, absence, SEN, exclusions)",
           tuple(OUTCOME_FILES[k] for k in ("ks2", "ks4", "absence", "sen", "exclusions")),
           "DfE", EES_CIN_OUTCOMES, "BenGoodair/childrens_social_care_data",
           "academic years 2015/16-2021/22",
           "academic year (Y-1)/Y (cohort at 31 March Y) -> Y", "outcomes",
           note="'cin_' = CINO (in need at 31 March, not on a CP plan, not looked after); "
                "'cla_' = looked after 12 months at 31 March; exclusions of the same "
                "academic year"),
    Source("cla_outcomes_ees", "Children looked after 12 months at 31 March: convictions, "
           "health and SDQ (OC2), EES LA file", (OUTCOME_FILES["oc2"],), "DfE", EES_CLA,
           "BenGoodair/childrens_social_care_data", "2018-2022", "time_period Y -> Y",
           "outcomes"),
    Source("cla_stability_leavers_ees", "Children looked after: placement stability and care "
           "leavers' activity and accommodation, EES LA files (release 2022)",
           tuple(OUTCOME_FILES[k] for k in ("stability", "leavers_activity",
                                            "leavers_accommodation")), "DfE", EES_CLA,
           "BenGoodair/childrens_social_care_data", "2018-2022", "time_period Y -> Y",
           "outcomes"),
    Source("cla_oc_sfr", "Outcomes for children looked after at 31 March 2015 (SFR11/2016): LA "
           "tables of persistent absence and KS4, exported from the workbook",
           (OUTCOME_FILES["sfr_absence"], OUTCOME_FILES["sfr_ks4"]), "DfE",
           "https://www.gov.uk/government/statistics/outcomes-for-children-looked-after-by-las-"
           "31-march-2015", "BenGoodair/childrens_social_care_data",
           "absence 2013-2015, KS4 2011-2015", "column year Y (cohort at 31 March Y) -> Y",
           "outcomes", note="percentages only (bases rounded to 5): published percentage over "
                            "a nominal 100"),
    Source("imd", "English Indices of Deprivation 2019, upper-tier LA summaries",
           ("childrens_social_care_data/Raw_Data/LA_level/Economic_Political_Contextual/imd19.csv",),
           "MHCLG", IMD_URL, "BenGoodair/childrens_social_care_data", "IMD 2019",
           "an LA attribute (Panel.las), not a yearly value", "imd"),
    Source("sif", "Ofsted SIF inspections 2013-2018, parsed from the report front pages",
           ("ofsted/DERIVED_sif_judgements_2013_2018.csv",), "Ofsted (reports)",
           "https://reports.ofsted.gov.uk/", "JT-39/ofsted-ilacs-scrape-tool (PDFs)",
           "inspections Nov 2013 - Dec 2017", "dates kept; Panel.las", "ofsted",
           note="derived by regular expressions from PDFs: verified by ofsted.verify_sif"),
    Source("ilacs", "Ofsted ILACS inspection history 2018-2025 (official statistics)",
           ("CSC_outcomes_and_enablers/DERIVED_ILACS_inspection_history_2025.csv",),
           "Ofsted", OFSTED_URL, "dfe-analytical-services/CSC_outcomes_and_enablers (ODS)",
           "inspections Jan 2018 - Mar 2025", "dates kept; Panel.las", "ofsted",
           note="converted from LA_Inspection_Outcomes_as_at_31_March_2025.ods"),
    Source("ofsted_history", "Ofsted report listing per LA (scraped), incl. SIF-era reports",
           ("ofsted/ofsted_csc_ilacs_history.csv",), "Ofsted (web listing)",
           "https://reports.ofsted.gov.uk/", "JT-39/ofsted-ilacs-scrape-tool",
           "reports 2012-2025", "used only to check the SIF table's publication dates",
           "ofsted"),
)}


@dataclass(frozen=True)
class Origin:
    """How one source provides one indicator: ``role`` primary | fill | check."""

    source: str
    role: str
    how: str
    years: str = ""


@dataclass(frozen=True)
class CatalogueEntry:
    """One indicator of the real panel. ``basis``: 'counts' (numerator and denominator are
    published counts), 'published percentage' (the numerator is the published percentage and
    the denominator a nominal 100: no counts are published), 'published average' (a score
    published as an average) or 'amount'."""

    indicator: Indicator
    origins: tuple[Origin, ...]
    basis: str = "counts"
    note: str = ""
    extra: bool = field(default=False)

    @property
    def name(self) -> str:
        return self.indicator.name


def _vocab(name: str) -> Indicator:
    return INDICATORS[name]


#: Indicators of the real panel that the synthetic vocabulary does not have.
EXTRA_INDICATORS: dict[str, Indicator] = {i.name: i for i in (
    Indicator("referrals_not_in_need", "percentage",
              "referrals that led to an assessment after which the child was assessed not to be "
              "in need", "referrals"),
    Indicator("cin_starts", "rate_per_10000", "episodes of need starting in the year",
              "children aged 0-17"),
    Indicator("icpc_21_days_plus", "percentage",
              "ICPCs held 21 or more working days after the strategy discussion (a proxy for "
              "'ICPC overdue')", "ICPCs with a known duration"),
    Indicator("cpp_2_years_plus_at_31_march", "percentage",
              "children on a child protection plan at 31 March who had been on it for 2 years "
              "or more", "children on a plan at 31 March"),
    Indicator("cla_starts", "rate_per_10000", "children who started to be looked after in the "
              "year", "children aged 0-17"),
    Indicator("cla_care_orders", "percentage",
              "children looked after at 31 March on an interim or full care order",
              "children looked after at 31 March"),
    Indicator("cla_section20", "percentage",
              "children looked after at 31 March accommodated under a voluntary agreement "
              "(section 20)", "children looked after at 31 March"),
    Indicator("cin_per_social_worker", "score",
              "children in need per FTE children's social worker (30 September)"),
    # outcomes of children in need at 31 March other than those on a child protection plan or
    # looked after (the files' CINO group)
    *(Indicator(f"cin_ks2_{k}", "percentage", f"children in need at 31 March (CINO: not on "
                f"a CP plan, not looked after) meeting the expected standard at KS2 in {t}",
                f"children in need (CINO) eligible for KS2 {t}")
      for k, t in (("reading", "reading"), ("writing", "writing (teacher assessment)"),
                   ("maths", "mathematics"), ("rwm", "reading, writing and mathematics"),
                   ("gps", "grammar, punctuation and spelling"))),
    *(Indicator(f"cin_gcse_em_grade{g}", "percentage", f"children in need at 31 March (CINO) "
                f"at the end of KS4 with grade {g} or above in English and mathematics GCSEs",
                "children in need (CINO) at the end of KS4")
      for g in (4, 5)),
    Indicator("cin_persistent_absence", "percentage", "children in need at 31 March (CINO) "
              "persistently absent (10% or more of sessions, six half terms)",
              "children in need (CINO) enrolled in school"),
    Indicator("cin_unauthorised_absence", "percentage", "sessions of unauthorised absence "
              "of children in need (CINO)", "possible sessions"),
    Indicator("cin_sen_support", "percentage", "children in need at 31 March (CINO) on SEN "
              "support", "children in need (CINO) in school"),
    Indicator("cin_suspension", "percentage", "children in need at 31 March (CINO) with one "
              "or more suspensions (fixed-period exclusions) in the academic year",
              "children in need (CINO) in school"),
    # outcomes of children looked after continuously for 12 months at 31 March
    *(Indicator(f"cla_ks2_{k}", "percentage", f"children looked after 12 months meeting the "
                f"expected standard at KS2 in {t}",
                f"children looked after 12 months eligible for KS2 {t}")
      for k, t in (("reading", "reading"), ("writing", "writing (teacher assessment)"),
                   ("maths", "mathematics"), ("rwm", "reading, writing and mathematics"))),
    *(Indicator(f"cla_gcse_em_grade{g}", "percentage", f"children looked after 12 months at "
                f"the end of KS4 with grade {g} or above in English and mathematics GCSEs",
                "children looked after 12 months at the end of KS4") for g in (4, 5)),
    Indicator("cla_attainment8", "score", "average Attainment 8 score of children looked "
              "after 12 months at the end of KS4"),
    Indicator("cla_persistent_absence", "percentage", "children looked after 12 months "
              "persistently absent (10% or more of sessions, six half terms)",
              "children looked after 12 months enrolled in school"),
    Indicator("cla_unauthorised_absence", "percentage", "sessions of unauthorised absence "
              "of children looked after 12 months", "possible sessions"),
    Indicator("cla_suspension", "percentage", "children looked after 12 months with one or "
              "more suspensions (fixed-period exclusions) in the academic year",
              "children looked after 12 months in school"),
    Indicator("cla_persistent_absentees_15pct", "percentage", "children looked after 12 "
              "months classed as persistent absentees (about 15% of sessions: 46 or 56 "
              "sessions; SFR11/2016 definition), as published",
              "children looked after 12 months matched to absence data (published "
              "percentage; base not stored)"),
    Indicator("cla_gcse_5_a_to_c", "percentage", "children looked after 12 months at the "
              "end of KS4 with 5+ GCSEs at grades A*-C or equivalent, as published (2014 "
              "and 2015: Wolf and early-entry rules, not comparable with 2013 and before)",
              "children looked after 12 months eligible to sit GCSEs (published percentage; "
              "base not stored)"),
    Indicator("cla_health_assessment", "percentage", "children looked after 12 months whose "
              "annual health assessment was up to date", "children looked after 12 months"),
    Indicator("cla_dental_check", "percentage", "children looked after 12 months whose teeth "
              "were checked by a dentist", "children looked after 12 months"),
    Indicator("cla_immunisations", "percentage", "children looked after 12 months whose "
              "immunisations were up to date", "children looked after 12 months"),
    Indicator("cla_substance_misuse", "percentage", "children looked after 12 months "
              "identified as having a substance misuse problem",
              "children looked after 12 months"),
    Indicator("cla_substance_intervention", "percentage", "children looked after 12 months "
              "with a substance misuse problem who received an intervention",
              "children looked after 12 months with a substance misuse problem"),
    Indicator("cla_sdq_mean", "score", "average SDQ score of children looked after 12 months "
              "aged 5 to 16 with a score"),
    Indicator("cla_sdq_concern", "percentage", "children looked after 12 months aged 5 to 16 "
              "whose SDQ score is a cause for concern (17 or more)",
              "children aged 5 to 16 with an SDQ score received"),
    Indicator("cla_convicted", "percentage", "children looked after 12 months aged 10 to 17 "
              "convicted or subject to a youth caution or youth conditional caution in the "
              "year", "children looked after 12 months aged 10 to 17"),
    Indicator("cla_3_placements", "percentage", "children looked after at 31 March with 3 or "
              "more placements during the year", "children looked after at 31 March"),
    Indicator("cla_long_term_stability", "percentage", "children looked after continuously "
              "for 2.5 years or more at 31 March, aged under 16, living in the same "
              "placement for 2 years or more (or placed for adoption)",
              "children looked after 2.5 years or more at 31 March aged under 16"),
    Indicator("care_leavers_neet_19_21", "percentage", "care leavers aged 19 to 21 not in "
              "education, employment or training", "care leavers aged 19 to 21"),
    Indicator("care_leavers_unsuitable_19_21", "percentage", "care leavers aged 19 to 21 in "
              "accommodation considered not suitable", "care leavers aged 19 to 21"),
)}

C1, C4, B1, D3, D5 = "cin_c1", "cin_c4", "cin_b1", "cin_d3", "cin_d5"
_WF_PRIMARY = (Origin("csww", "primary", "", "2018+"),
               Origin("sfr07", "primary", "", "2016"), Origin("sfr08", "primary", "", "2017"))


def _e(name, origins, basis="counts", note=""):
    ind = INDICATORS.get(name) or EXTRA_INDICATORS[name]
    return CatalogueEntry(ind, tuple(origins), basis, note, name in EXTRA_INDICATORS)


CATALOGUE: dict[str, CatalogueEntry] = {e.name: e for e in (
    _e("child_population", [Origin("ons", "primary", "population_estimate", "2013+"),
                            Origin("sfr27_pop", "fill", "Mid2009Pop0-17", "2010"),
                            Origin("cla_ees_pop", "fill", "population_estimate", "2018-2022")],
       note="no public LA estimate found for panel years 2009, 2011 and 2012, nor for "
            "Bournemouth, Poole and Dorset County (835-837) in 2013-2017 (the ONS file has "
            "'x'): rates there have no denominator"),
    _e("referrals", [Origin(C1, "primary", "referral_count / child_population", "2013+"),
                     Origin("lait", "check", "CPP_Total_NumRef (number of referrals)", "2015+")]),
    _e("re_referrals", [Origin(C1, "primary", "rereferral_count / referral_count", "2013+"),
                        Origin("lait", "check", "ReReferral (%)", "2015+")]),
    _e("referrals_nfa", [Origin(C1, "primary", "no_further_action_count / referral_count",
                                "2013+"),
                         Origin("lait", "check", "CIN_Refferals_NFA (%)", "2015+")]),
    _e("referrals_not_in_need", [Origin(C1, "primary", "not_in_need_count / referral_count",
                                        "2013+")]),
    _e("cin_rate", [Origin(B1, "primary", "At31_episodes / child_population", "2013+"),
                    Origin("lait", "check", "CIN (rate per 10,000)", "2015+")]),
    _e("cin_starts", [Origin(B1, "primary", "Started_episodes / child_population", "2013+")]),
    _e("cin_2_years_plus", [Origin("lait", "primary", "CINTime2more (%)", "2015+")],
       basis="published percentage"),
    _e("assessments_within_45_days", [Origin("lait", "primary", "Continue_Assess_Comp (%)",
                                             "2015+")],
       basis="published percentage"),
    _e("section47", [Origin(C4, "primary", "Section47 / child_population", "2013+"),
                     Origin("lait", "check", "Section_47 (rate per 10,000)", "2015+")]),
    _e("icpc", [Origin(C4, "primary", "ICPC / child_population", "2013+"),
                Origin("lait", "check", "ISCP_Conf (rate per 10,000)", "2015+")]),
    _e("icpc_within_15_days", [Origin(C4, "primary", "(Duration_0-10_days + Duration_11-15_days)"
                                      " / sum of the four duration bands", "2013+"),
                               Origin("lait", "check", "CP_conf_15days (%)", "2015+")]),
    _e("icpc_21_days_plus", [Origin(C4, "primary", "Duration_21+_days / sum of the four "
                                    "duration bands", "2013+")]),
    _e("days_to_icpc", [Origin(C4, "primary", "Duration_median (working days)", "2013+")]),
    _e("cpp_starts", [Origin(D3, "primary", "CPP_start / child_population", "2013+")]),
    _e("cpp", [Origin(D5, "primary", "CPP_At31 / child_population", "2013+"),
               Origin("lait", "check", "CPP_Num (number at 31 March)", "2015+")]),
    _e("cpp_second_or_subsequent", [Origin(D3, "primary", "CPP_subsequent / CPP_start", "2013+"),
                                    Origin("lait", "check", "PrevRegCPR (%)", "2015+")]),
    _e("cpp_2_years_plus", [Origin("lait", "primary", "CPPlans2yrs (% of plans ceasing in the "
                                   "year that lasted 2 years or more)", "2015+")],
       basis="published percentage"),
    _e("cpp_2_years_plus_at_31_march", [Origin(D5, "primary", "2_years_or_more / CPP_At31",
                                               "2013+")]),
    _e("cla_rate", [Origin("cla_sfr", "primary", "CLA at 31 March (MarTotal_2010, CLA_Mar<Y>) / "
                           "child_population", "2010-2017"),
                    Origin("cla_ees", "primary", "'Children looked after at 31 March each year' "
                           "/ child_population", "2018-2022"),
                    Origin("lait", "fill", "LACnum / child_population", "2015+")]),
    _e("cla_starts", [Origin("cla_sfr", "primary", "StartTotal_2010, CLA_started<Y> (ADM "
                             "tables) / child_population", "2010-2017"),
                      Origin("cla_ees", "primary", "'Children starting to be looked after each "
                             "year' / child_population", "2018-2022"),
                      Origin("lait", "fill", "LACnum_Start / child_population", "2015+")]),
    _e("cla_care_orders", [Origin("cla_sfr", "primary", "(CLA_ICO + CLA_FCO) / CLA_Mar<Y>",
                                  "2011-2017")]),
    _e("cla_section20", [Origin("cla_sfr", "primary", "CLA_S20 / CLA_Mar<Y>", "2011-2017")]),
    _e("cla_missing", [Origin("cla_sfr", "primary", "CLA_MissDuringYear (Missing tables) / "
                              "CLA_<Y> (looked after during the year)", "2015-2017"),
                       Origin("cla_ees", "primary", "'Children who had a missing incident during "
                              "the year' / 'Children looked after during the year'",
                              "2018-2022"),
                       Origin("lait", "check", "Children_missing (%)", "2015+")]),
    _e("social_workers", [*_WF_PRIMARY, Origin("csww_2022", "check", "social_worker_fte"),
                          Origin("lait", "check", "Work_Force_NoSW")],
       note="csww inpost_fte; SFR A1_FTE_ChildrensSocialWorkers"),
    _e("social_worker_turnover", [*_WF_PRIMARY, Origin("csww_2022", "check", "turnover_rate_fte_%"),
                                  Origin("lait", "check", "Work_Force_TO_Rate")],
       note="leavers FTE / social workers in post FTE (csww leavers_fte / inpost_fte; SFR "
            "B2 / A1)"),
    _e("agency_worker_rate", [*_WF_PRIMARY, Origin("csww_2022", "check", "agency_worker_rate_fte_%"),
                              Origin("lait", "check", "Work_Force_Agecy_Rate")],
       note="agency FTE / (agency FTE + social workers in post FTE) (csww agency_fte; SFR D1)"),
    _e("vacancy_rate", [*_WF_PRIMARY, Origin("csww_2022", "check", "vacancy_rate_fte_%"),
                        Origin("lait", "check", "Work_Force_Vac_Rate")],
       note="vacancies FTE / (vacancies FTE + social workers in post FTE) (csww vacancy_fte; "
            "SFR A2)"),
    _e("caseload", [Origin("csww", "primary", "caseload_fte", "2018+"),
                    Origin("sfr08", "primary", "Average_caseload", "2017"),
                    Origin("csww_2022", "check", "caseload_fte"),
                    Origin("lait", "check", "Work_Force_AvgNumCase_SW")]),
    _e("cin_per_social_worker", [Origin("sfr07", "primary", "CiNperCSW_FTE_2015", "2016")]),
    _e("spend_per_child", [Origin("s251", "primary", "line 'CHILDREN AND YOUNG PEOPLE'S SERVICES "
                                  "BUDGET (excluding CERA)', Total Expenditure (gross), GBP",
                                  "2009-2014"),
                           Origin("lait", "primary", "C&YPExpenditure (gross, GBP thousands) "
                                  "* 1000", "2016+")],
       basis="amount", note="numerator in GBP, denominator the child population"),
    _e("spend_safeguarding", [Origin("s251", "primary", "line 'Total Children and Young People's "
                                     "Safety' (2009-2011) / 'Total Safeguarding Children and "
                                     "Young People's Services' (2012-2014), gross", "2009-2014"),
                              Origin("lait", "primary", "SafeguardingFinance (gross, GBP)",
                                     "2016+")],
       basis="amount", note="the s251 block was redefined in 2011-12 (social work moved into "
                            "it): a break in the series"),
    _e("spend_cla", [Origin("s251", "primary", "line 'Total Children Looked After', gross",
                            "2009-2014"),
                     Origin("lait", "primary", "TotalLACFinance (gross, GBP)", "2016+")],
       basis="amount"),
    _e("spend_early_help", [Origin("s251", "primary", "line 'Total Family Support Services', "
                                   "gross", "2009-2014"),
                            Origin("lait", "primary", "FamilySupportFinance (gross, GBP)",
                                   "2016+")],
       basis="amount", note="family support services as the early-help proxy"),
)}

_OUT = {"ks2": "ks2_la", "ks4": "ks4_la", "absence": "absence_six_half_terms_la (Total)",
        "sen": "sen_la", "exclusions": "permanent_exclusions_and_suspensions_la"}
_CIN_OUT = {  # indicator -> (file key, numerator / denominator columns)
    "cin_ks2_reading": ("ks2", "t_read_met_expected_standard / t_read_eligible_pupils"),
    "cin_ks2_writing": ("ks2", "t_writta_met_expected_standard / t_writta_eligible_pupils"),
    "cin_ks2_maths": ("ks2", "t_mat_met_expected_standard / t_mat_eligible_pupils"),
    "cin_ks2_rwm": ("ks2", "t_rwm_met_expected_standard / t_rwm_eligible_pupils"),
    "cin_ks2_gps": ("ks2", "t_gps_met_expected_standard / t_gps_eligible_pupils"),
    "cin_gcse_em_grade4": ("ks4", "t_l2basics_94 / t_pupils"),
    "cin_gcse_em_grade5": ("ks4", "t_l2basics_95 / t_pupils"),
    "cin_persistent_absence": ("absence", "t_pupils_pa_10_exact / t_pupils"),
    "cin_unauthorised_absence": ("absence", "t_sess_unauthorised / t_sess_possible"),
    "cin_sen_support": ("sen", "t_SEN_support / t_pupils"),
    "cin_suspension": ("exclusions", "t_one_plus_sus / t_pupils"),
    "cla_ks2_reading": ("ks2", "t_read_met_expected_standard / t_read_eligible_pupils"),
    "cla_ks2_writing": ("ks2", "t_writta_met_expected_standard / t_writta_eligible_pupils"),
    "cla_ks2_maths": ("ks2", "t_mat_met_expected_standard / t_mat_eligible_pupils"),
    "cla_ks2_rwm": ("ks2", "t_rwm_met_expected_standard / t_rwm_eligible_pupils"),
    "cla_gcse_em_grade4": ("ks4", "t_l2basics_94 / t_pupils"),
    "cla_gcse_em_grade5": ("ks4", "t_l2basics_95 / t_pupils"),
    "cla_attainment8": ("ks4", "avg_att8 (published average)"),
    "cla_persistent_absence": ("absence", "t_pupils_pa_10_exact / t_pupils"),
    "cla_unauthorised_absence": ("absence", "t_sess_unauthorised / t_sess_possible"),
    "cla_suspension": ("exclusions", "t_one_plus_sus / t_pupils"),
}
_OC2 = {
    "cla_health_assessment": "'Had their annual health assessment' / 'Total all ages'",
    "cla_dental_check": "'Had their teeth checked by a dentist' / 'Total all ages'",
    "cla_immunisations": "'Had their immunisations up to date' / 'Total all ages'",
    "cla_substance_misuse": "'Identified as having a substance misuse problem' / 'Total all "
                            "ages'",
    "cla_substance_intervention": "'Received an intervention ...' / 'Identified as having a "
                                  "substance misuse problem'",
    "cla_sdq_mean": "'SDQ average score' (published average)",
    "cla_sdq_concern": "'SDQ score is a cause for concern' / 'SDQ score was received'",
    "cla_convicted": "'Convicted or subject to youth cautions ...' / 'Total ages 10 to 17 "
                     "years'",
}
_STAB = {
    "cla_3_placements": "'With 3 or more placements during the year' / 'Total children' "
                        "(children looked after at 31 March)",
    "cla_long_term_stability": "'Living in the same placement for at least 2 years ...' / "
                               "'Total children' (looked after 2.5 years+, under 16)",
    "care_leavers_neet_19_21": "la_care_leavers_activity: 'Total not in education, "
                               "employment or training' / 'Total', aged 19 to 21",
    "care_leavers_unsuitable_19_21": "la_care_leavers_accommodation_suitability: "
                                     "'Accommodation considered not suitable' / 'Total', "
                                     "19 to 21 years",
}
CATALOGUE.update({e.name: e for e in (
    *(_e(n, [Origin("cin_outcomes_ees", "primary",
                    f"{_OUT[f]}: {how}, " + ("CINO at 31 March" if n.startswith("cin_") else
                                             "CLA 12 months at 31 March"), "2016-2022")],
         basis="published average" if n == "cla_attainment8" else "counts")
      for n, (f, how) in _CIN_OUT.items()),
    *(_e(n, [Origin("cla_outcomes_ees", "primary", how, "2018-2022")],
         basis="published average" if n == "cla_sdq_mean" else "counts") for n, how in _OC2.items()),
    *(_e(n, [Origin("cla_stability_leavers_ees", "primary", how, "2018-2022")])
      for n, how in _STAB.items()),
    _e("cla_persistent_absentees_15pct", [Origin("cla_oc_sfr", "primary", "sheet6_absence: "
                                                 "'Percentage of looked after children "
                                                 "classed as persistent absentees'",
                                                 "2013-2015")],
       basis="published percentage"),
    _e("cla_gcse_5_a_to_c", [Origin("cla_oc_sfr", "primary", "sheet3_ks4: '5+ GCSEs at "
                                    "grades A*-C' (percentage achieving)", "2011-2015")],
       basis="published percentage"),
)})

#: Vocabulary indicators the public files here cannot provide.
NOT_AVAILABLE = {
    "assessments": "no LA counts of completed assessments in the public files here",
    "initial_assessments_within_10_days": "pre-2014 framework; CIN census LA tables 2009-2012 "
                                          "not found in any public repository",
}

CONFLICT_ABS_TOL = 0.5
CONFLICT_REL_TOL = 0.01
"""Two sources' values of one LA, year and indicator conflict when they differ by more than
``CONFLICT_ABS_TOL + CONFLICT_REL_TOL * |value|`` (published figures are rounded to whole
numbers or one decimal, and rates use populations of different vintages)."""


#: Indicators whose sources differ by more than rounding by construction: population
#: estimates of different ONS vintages (the ONS file's revised series against those DfE used
#: at the time) differ by up to a few per cent.
CONFLICT_REL_TOL_BY_INDICATOR = {"child_population": 0.05}


def origin_order(indicator: str) -> dict[str, tuple[int, str]]:
    """source key -> (order, role) for one indicator (order: position in the catalogue)."""
    entry = CATALOGUE.get(indicator)
    if entry is None:
        return {}
    return {o.source: (k, o.role) for k, o in enumerate(entry.origins)}


def indicator_info(name: str) -> Indicator | None:
    """The definition of an indicator of either vocabulary."""
    return INDICATORS.get(name) or EXTRA_INDICATORS.get(name)


def expected_files() -> list[tuple[str, str]]:
    """(source key, file) for every file the builders read."""
    return [(s.key, f) for s in SOURCES.values() for f in s.files]
