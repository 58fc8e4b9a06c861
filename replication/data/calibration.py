"""Summary constants of the real LA-level data, for the synthetic generator.

Only summaries are kept here (medians, quartiles, log-scale spreads, trends, a Spearman
matrix, counts); no LA's data. Every calibrated constant can be re-derived with
``replication.data.calibrate.calibrate(raw_dir)`` (``python -m replication.data.calibrate
RAW_DIR`` prints this block); a test checks that they agree where the raw files are present.

Source files, relative to the raw-data directory (public DfE, Ofsted and MHCLG statistics,
Open Government Licence v3; the directory's INVENTORY.md gives the repositories and commits):

  [ons]   CSC_outcomes_and_enablers/data-raw/ons_mid-year_population_estimates_2012_to_2024.csv
  [b1]    CSC_outcomes_and_enablers/data-raw/b1_children_in_need_2013_to_2025.csv
  [c1]    CSC_outcomes_and_enablers/data-raw/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv
  [c4]    CSC_outcomes_and_enablers/data-raw/c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv
  [d3]    CSC_outcomes_and_enablers/data-raw/d3_cpps_subsequent_plan_2013_to_2025.csv
  [d5]    CSC_outcomes_and_enablers/data-raw/d5_cpps_at31march_by_duration_2013_to_2025.csv
  [csww]  CSC_outcomes_and_enablers/data-raw/csww_indicators_2017_to_2025.csv
  [lait]  local-authority-interactive-tool/bds_long_0_09c1940_2024-11-15.parquet
  [imd]   childrens_social_care_data/Raw_Data/LA_level/Economic_Political_Contextual/imd19.csv
  [sif]   ofsted/DERIVED_sif_judgements_2013_2018.csv (first SIF inspection per LA)
  [ilacs] CSC_outcomes_and_enablers/DERIVED_ILACS_inspection_history_2025.csv

Definitions (see ``calibrate.py``): LAs 202-938 without City of London and Isles of Scilly;
panel years 2014-2019 (LAIT measures 2015-2019, finance 2016-2019, workforce 2018-2020 =
30 September 2017-2019); ``median``/``q25``/``q75`` pooled over LA-years;
``log_sd_between`` = SD across LAs of each LA's mean log value; ``log_sd_within`` = residual
SD of log value after LA and year effects; ``trend`` = slope of the log of the yearly median
per year. ``RANK_CORR``: Spearman correlations of LA means over the window (pairwise
complete), 'deprivation' = minus the IMD 2019 rank of average score (higher = more deprived).
"""

# ---- calibrated: produced by calibrate.render(calibrate(RAW_DIR)) -------------------------
INDICATOR_SUMMARY = {
    # [ons] population_estimate, mid-year Y -> panel year Y+1
    'child_population': {'median': 59440.0, 'q25': 42480.0, 'q75': 91230.0, 'log_sd_between': 0.6062, 'log_sd_within': 0.01295, 'trend': 0.006386, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [c1] referral_count / [ons] * 10000
    'referrals': {'median': 528.5, 'q25': 425.8, 'q75': 672.4, 'log_sd_between': 0.2926, 'log_sd_within': 0.204, 'trend': 0.01011, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [c1] rereferral_percent
    're_referrals': {'median': 20.5, 'q25': 16.5, 'q75': 24.5, 'log_sd_between': 0.2462, 'log_sd_within': 0.2018, 'trend': -0.00442, 'first_year': 2014, 'last_year': 2019, 'n_la': 150},
    # [c1] no_further_action_percent
    'referrals_nfa': {'median': 5.2, 'q25': 1.7, 'q75': 12.1, 'log_sd_between': 0.9806, 'log_sd_within': 0.8852, 'trend': -0.1035, 'first_year': 2014, 'last_year': 2019, 'n_la': 146},
    # [c1] (referral_count - no_further_action_count) / [ons] * 10000 (proxy)
    'assessments': {'median': 481.3, 'q25': 392.7, 'q75': 602.5, 'log_sd_between': 0.2729, 'log_sd_within': 0.1843, 'trend': 0.01824, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [b1] At31_episodes / [ons] * 10000
    'cin_rate': {'median': 347.5, 'q25': 289.2, 'q75': 427.9, 'log_sd_between': 0.2601, 'log_sd_within': 0.1321, 'trend': -0.004036, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [c4] Section47 / [ons] * 10000
    'section47': {'median': 152.5, 'q25': 115.3, 'q75': 194.6, 'log_sd_between': 0.3448, 'log_sd_within': 0.2241, 'trend': 0.0581, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [c4] ICPC / [ons] * 10000
    'icpc': {'median': 64.32, 'q25': 50.64, 'q75': 83.62, 'log_sd_between': 0.3201, 'log_sd_within': 0.2219, 'trend': 0.02441, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [c4] (Duration_0-10_days + Duration_11-15_days) / ICPC * 100
    'icpc_within_15_days': {'median': 80.38, 'q25': 68.87, 'q75': 88.99, 'log_sd_between': 0.1635, 'log_sd_within': 0.1878, 'trend': 0.01053, 'first_year': 2014, 'last_year': 2019, 'n_la': 150},
    # [c4] Duration_median
    'days_to_icpc': {'median': 14.0, 'q25': 13.0, 'q75': 14.0, 'log_sd_between': 0.08399, 'log_sd_within': 0.1364, 'trend': 0.002117, 'first_year': 2014, 'last_year': 2019, 'n_la': 150},
    # [d3] CPP_start / [ons] * 10000
    'cpp_starts': {'median': 55.57, 'q25': 44.24, 'q75': 72.34, 'log_sd_between': 0.319, 'log_sd_within': 0.1987, 'trend': 0.0195, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [d3] CPP_subsequent_percent
    'cpp_second_or_subsequent': {'median': 18.0, 'q25': 14.1, 'q75': 21.5, 'log_sd_between': 0.2482, 'log_sd_within': 0.2533, 'trend': 0.06349, 'first_year': 2014, 'last_year': 2019, 'n_la': 150},
    # [d5] CPP_At31 / [ons] * 10000
    'cpp': {'median': 44.29, 'q25': 34.9, 'q75': 57.2, 'log_sd_between': 0.3308, 'log_sd_within': 0.2104, 'trend': 0.007435, 'first_year': 2014, 'last_year': 2019, 'n_la': 147},
    # [csww] inpost_fte / [ons] * 10000, Sept Y -> panel year Y+1
    'social_workers_per_10000': {'median': 25.7, 'q25': 21.32, 'q75': 32.03, 'log_sd_between': 0.2902, 'log_sd_within': 0.07965, 'trend': 0.05038, 'first_year': 2018, 'last_year': 2020, 'n_la': 147},
    # [csww] turnover_rate_fte
    'social_worker_turnover': {'median': 14.9, 'q25': 10.8, 'q75': 19.3, 'log_sd_between': 0.3007, 'log_sd_within': 0.3839, 'trend': 0.03294, 'first_year': 2018, 'last_year': 2020, 'n_la': 150},
    # [csww] agency_rate_fte
    'agency_worker_rate': {'median': 12.8, 'q25': 7.2, 'q75': 23.0, 'log_sd_between': 0.8599, 'log_sd_within': 0.4651, 'trend': -0.005608, 'first_year': 2018, 'last_year': 2020, 'n_la': 147},
    # [csww] vacancy_rate_fte
    'vacancy_rate': {'median': 14.3, 'q25': 7.5, 'q75': 22.5, 'log_sd_between': 0.776, 'log_sd_within': 0.4598, 'trend': -0.04501, 'first_year': 2018, 'last_year': 2020, 'n_la': 150},
    # [csww] caseload_fte
    'caseload': {'median': 17.3, 'q25': 15.7, 'q75': 19.3, 'log_sd_between': 0.1283, 'log_sd_within': 0.09525, 'trend': -0.01441, 'first_year': 2018, 'last_year': 2020, 'n_la': 150},
    # [lait] Continue_Assess_Comp
    'assessments_within_45_days': {'median': 84.05, 'q25': 75.53, 'q75': 90.97, 'log_sd_between': 0.1118, 'log_sd_within': 0.1055, 'trend': 0.0004799, 'first_year': 2015, 'last_year': 2019, 'n_la': 150},
    # [lait] CINTime2more
    'cin_2_years_plus': {'median': 31.3, 'q25': 27.3, 'q75': 35.3, 'log_sd_between': 0.1585, 'log_sd_within': 0.1858, 'trend': 0.001104, 'first_year': 2015, 'last_year': 2019, 'n_la': 150},
    # [lait] LAC
    'cla_rate': {'median': 66.0, 'q25': 46.0, 'q75': 83.5, 'log_sd_between': 0.3864, 'log_sd_within': 0.08356, 'trend': 0.02, 'first_year': 2015, 'last_year': 2019, 'n_la': 150},
    # [lait] Children_missing
    'cla_missing': {'median': 10.0, 'q25': 7.0, 'q75': 13.0, 'log_sd_between': 0.3623, 'log_sd_within': 0.318, 'trend': 0.15, 'first_year': 2015, 'last_year': 2019, 'n_la': 149},
    # [lait] CPPlans2yrs
    'cpp_2_years_plus': {'median': 3.6, 'q25': 2.45, 'q75': 5.3, 'log_sd_between': 0.3828, 'log_sd_within': 0.4051, 'trend': -0.03355, 'first_year': 2015, 'last_year': 2019, 'n_la': 137},
    # [lait] C&YPExpenditure (GBP thousands) * 1000 / [ons], FY (Y-1)-Y -> Y
    'spend_per_child': {'median': 802.4, 'q25': 684.0, 'q75': 991.6, 'log_sd_between': 0.2578, 'log_sd_within': 0.06995, 'trend': 0.01579, 'first_year': 2016, 'last_year': 2019, 'n_la': 147},
    # [lait] SafeguardingFinance / [ons]
    'spend_safeguarding': {'median': 204.6, 'q25': 169.4, 'q75': 243.9, 'log_sd_between': 0.3176, 'log_sd_within': 0.142, 'trend': 0.02281, 'first_year': 2016, 'last_year': 2019, 'n_la': 147},
    # [lait] TotalLACFinance / [ons]
    'spend_cla': {'median': 382.3, 'q25': 306.5, 'q75': 480.2, 'log_sd_between': 0.3004, 'log_sd_within': 0.08243, 'trend': 0.06255, 'first_year': 2016, 'last_year': 2019, 'n_la': 147},
    # [lait] FamilySupportFinance / [ons]
    'spend_early_help': {'median': 94.17, 'q25': 71.87, 'q75': 120.8, 'log_sd_between': 0.3876, 'log_sd_within': 0.2289, 'trend': 0.02374, 'first_year': 2016, 'last_year': 2019, 'n_la': 147},
}
RANK_CORR_NAMES = ['deprivation', 'child_population', 'referrals', 're_referrals', 'referrals_nfa', 'assessments', 'cin_rate', 'section47', 'icpc', 'icpc_within_15_days', 'days_to_icpc', 'cpp_starts', 'cpp_second_or_subsequent', 'cpp', 'social_workers_per_10000', 'social_worker_turnover', 'agency_worker_rate', 'vacancy_rate', 'caseload', 'assessments_within_45_days', 'cin_2_years_plus', 'cla_rate', 'cla_missing', 'cpp_2_years_plus', 'spend_per_child', 'spend_safeguarding', 'spend_cla', 'spend_early_help']
RANK_CORR = [
    [1.0, -0.156, 0.618, 0.031, -0.032, 0.688, 0.682, 0.615, 0.601, -0.029, 0.069, 0.644, -0.215, 0.63, 0.544, -0.133, -0.047, -0.145, 0.34, -0.113, 0.038, 0.774, -0.252, 0.059, 0.681, 0.367, 0.687, 0.238],
    [-0.156, 1.0, -0.115, 0.189, 0.084, -0.148, -0.39, -0.327, -0.368, -0.186, 0.104, -0.343, -0.036, -0.332, -0.456, -0.242, 0.033, 0.115, -0.037, 0.001, -0.124, -0.299, -0.146, -0.11, -0.404, -0.421, -0.321, -0.233],
    [0.618, -0.115, 1.0, 0.53, 0.273, 0.923, 0.672, 0.679, 0.68, -0.118, 0.107, 0.681, -0.036, 0.63, 0.519, -0.031, 0.005, -0.094, 0.253, -0.081, -0.185, 0.611, -0.219, 0.042, 0.603, 0.483, 0.634, 0.168],
    [0.031, 0.189, 0.53, 1.0, 0.327, 0.411, -0.037, 0.172, 0.263, -0.013, 0.089, 0.277, 0.341, 0.191, 0.09, -0.161, -0.167, -0.173, 0.18, 0.035, -0.194, 0.225, -0.2, -0.106, -0.009, -0.037, 0.077, -0.045],
    [-0.032, 0.084, 0.273, 0.327, 1.0, -0.036, -0.057, 0.003, 0.005, -0.094, -0.002, -0.007, 0.032, 0.013, -0.017, 0.024, 0.018, -0.011, 0.053, 0.002, -0.07, 0.02, -0.138, -0.006, 0.033, 0.086, 0.055, -0.103],
    [0.688, -0.148, 0.923, 0.411, -0.036, 1.0, 0.736, 0.721, 0.724, -0.095, 0.113, 0.732, -0.034, 0.678, 0.544, -0.068, -0.001, -0.085, 0.3, -0.083, -0.185, 0.654, -0.19, 0.034, 0.624, 0.455, 0.646, 0.2],
    [0.682, -0.39, 0.672, -0.037, -0.057, 0.736, 1.0, 0.676, 0.71, -0.139, 0.104, 0.713, -0.115, 0.713, 0.666, -0.016, 0.088, 0.004, 0.217, -0.257, 0.147, 0.715, -0.123, 0.181, 0.842, 0.608, 0.833, 0.349],
    [0.615, -0.327, 0.679, 0.172, 0.003, 0.721, 0.676, 1.0, 0.79, -0.117, 0.081, 0.785, -0.003, 0.773, 0.472, 0.146, 0.212, 0.102, 0.183, -0.045, -0.12, 0.635, -0.168, 0.091, 0.652, 0.534, 0.672, 0.137],
    [0.601, -0.368, 0.68, 0.263, 0.005, 0.724, 0.71, 0.79, 1.0, -0.005, 0.128, 0.983, 0.119, 0.928, 0.54, 0.026, 0.049, -0.023, 0.348, -0.138, -0.048, 0.758, -0.212, 0.048, 0.641, 0.46, 0.707, 0.179],
    [-0.029, -0.186, -0.118, -0.013, -0.094, -0.095, -0.139, -0.117, -0.005, 1.0, -0.647, 0.014, 0.073, -0.032, 0.006, -0.105, -0.269, -0.264, 0.1, 0.234, -0.01, 0.047, -0.039, -0.247, -0.156, -0.171, -0.115, 0.097],
    [0.069, 0.104, 0.107, 0.089, -0.002, 0.113, 0.104, 0.081, 0.128, -0.647, 1.0, 0.104, -0.012, 0.098, -0.004, 0.074, 0.122, 0.096, -0.049, -0.097, 0.09, 0.087, -0.015, 0.092, 0.103, 0.091, 0.078, -0.096],
    [0.644, -0.343, 0.681, 0.277, -0.007, 0.732, 0.713, 0.785, 0.983, 0.014, 0.104, 1.0, 0.13, 0.945, 0.545, -0.031, 0.007, -0.063, 0.404, -0.151, -0.046, 0.803, -0.277, 0.049, 0.644, 0.425, 0.716, 0.181],
    [-0.215, -0.036, -0.036, 0.341, 0.032, -0.034, -0.115, -0.003, 0.119, 0.073, -0.012, 0.13, 1.0, 0.09, -0.033, -0.127, -0.129, -0.087, 0.022, -0.091, 0.036, 0.028, -0.124, 0.017, -0.106, -0.143, -0.05, 0.03],
    [0.63, -0.332, 0.63, 0.191, 0.013, 0.678, 0.713, 0.773, 0.928, -0.032, 0.098, 0.945, 0.09, 1.0, 0.587, -0.062, -0.016, -0.083, 0.375, -0.144, -0.01, 0.768, -0.218, 0.256, 0.653, 0.422, 0.722, 0.142],
    [0.544, -0.456, 0.519, 0.09, -0.017, 0.544, 0.666, 0.472, 0.54, 0.006, -0.004, 0.545, -0.033, 0.587, 1.0, -0.271, -0.405, -0.477, 0.061, 0.018, 0.098, 0.601, -0.011, 0.276, 0.728, 0.475, 0.651, 0.422],
    [-0.133, -0.242, -0.031, -0.161, 0.024, -0.068, -0.016, 0.146, 0.026, -0.105, 0.074, -0.031, -0.127, -0.062, -0.271, 1.0, 0.504, 0.501, -0.098, -0.055, -0.15, -0.202, 0.144, -0.159, 0.013, 0.242, -0.044, -0.149],
    [-0.047, 0.033, 0.005, -0.167, 0.018, -0.001, 0.088, 0.212, 0.049, -0.269, 0.122, 0.007, -0.129, -0.016, -0.405, 0.504, 1.0, 0.858, -0.079, -0.203, -0.127, -0.111, 0.124, -0.09, 0.011, 0.21, 0.04, -0.182],
    [-0.145, 0.115, -0.094, -0.173, -0.011, -0.085, 0.004, 0.102, -0.023, -0.264, 0.096, -0.063, -0.087, -0.083, -0.477, 0.501, 0.858, 1.0, -0.133, -0.165, -0.087, -0.217, 0.086, -0.098, -0.06, 0.165, -0.024, -0.242],
    [0.34, -0.037, 0.253, 0.18, 0.053, 0.3, 0.217, 0.183, 0.348, 0.1, -0.049, 0.404, 0.022, 0.375, 0.061, -0.098, -0.079, -0.133, 1.0, -0.2, -0.159, 0.432, -0.214, -0.09, 0.071, -0.162, 0.182, 0.032],
    [-0.113, 0.001, -0.081, 0.035, 0.002, -0.083, -0.257, -0.045, -0.138, 0.234, -0.097, -0.151, -0.091, -0.144, 0.018, -0.055, -0.203, -0.165, -0.2, 1.0, 0.007, -0.163, 0.224, -0.077, -0.17, -0.105, -0.172, -0.145],
    [0.038, -0.124, -0.185, -0.194, -0.07, -0.185, 0.147, -0.12, -0.048, -0.01, 0.09, -0.046, 0.036, -0.01, 0.098, -0.15, -0.127, -0.087, -0.159, 0.007, 1.0, 0.2, 0.035, 0.251, 0.119, 0.003, 0.161, 0.018],
    [0.774, -0.299, 0.611, 0.225, 0.02, 0.654, 0.715, 0.635, 0.758, 0.047, 0.087, 0.803, 0.028, 0.768, 0.601, -0.202, -0.111, -0.217, 0.432, -0.163, 0.2, 1.0, -0.324, 0.047, 0.675, 0.358, 0.787, 0.218],
    [-0.252, -0.146, -0.219, -0.2, -0.138, -0.19, -0.123, -0.168, -0.212, -0.039, -0.015, -0.277, -0.124, -0.218, -0.011, 0.144, 0.124, 0.086, -0.214, 0.224, 0.035, -0.324, 1.0, 0.172, -0.087, -0.005, -0.175, 0.012],
    [0.059, -0.11, 0.042, -0.106, -0.006, 0.034, 0.181, 0.091, 0.048, -0.247, 0.092, 0.049, 0.017, 0.256, 0.276, -0.159, -0.09, -0.098, -0.09, -0.077, 0.251, 0.047, 0.172, 1.0, 0.21, 0.134, 0.143, 0.007],
    [0.681, -0.404, 0.603, -0.009, 0.033, 0.624, 0.842, 0.652, 0.641, -0.156, 0.103, 0.644, -0.106, 0.653, 0.728, 0.013, 0.011, -0.06, 0.071, -0.17, 0.119, 0.675, -0.087, 0.21, 1.0, 0.733, 0.907, 0.438],
    [0.367, -0.421, 0.483, -0.037, 0.086, 0.455, 0.608, 0.534, 0.46, -0.171, 0.091, 0.425, -0.143, 0.422, 0.475, 0.242, 0.21, 0.165, -0.162, -0.105, 0.003, 0.358, -0.005, 0.134, 0.733, 1.0, 0.591, 0.123],
    [0.687, -0.321, 0.634, 0.077, 0.055, 0.646, 0.833, 0.672, 0.707, -0.115, 0.078, 0.716, -0.05, 0.722, 0.651, -0.044, 0.04, -0.024, 0.182, -0.172, 0.161, 0.787, -0.175, 0.143, 0.907, 0.591, 1.0, 0.303],
    [0.238, -0.233, 0.168, -0.045, -0.103, 0.2, 0.349, 0.137, 0.179, 0.097, -0.096, 0.181, 0.03, 0.142, 0.422, -0.149, -0.182, -0.242, 0.032, -0.145, 0.018, 0.218, 0.012, 0.007, 0.438, 0.123, 0.303, 1.0],
]
SPEND_TERTILE_RATIO = {1: 1.221, 2: 1.045, 3: 0.8172}
SMALL_LA_POPULATION = {420: 340.0, 201: 668.0}
SIF_FIRST_START_YEAR_COUNTS = {2013: 4, 2014: 39, 2015: 38, 2016: 34, 2017: 30}
SIF_FIRST_JUDGEMENT_COUNTS = {'requires_improvement': 61, 'outstanding_good': 52, 'inadequate': 32}
SIF_BADNESS_DEPRIVATION_SPEARMAN = 0.185
ILACS_2018_01_TO_2019_03_COUNTS = {'Good': 20, 'Requires improvement to be good': 15, 'Inadequate': 8, 'Outstanding': 5}

# ---- not calibrated: no LA-level file exists for these ----------------------------------
# Initial assessments within 10 working days (discontinued in 2014; no LA file survives).
# Set from Hood et al. (2016), papers/000: national timeliness indicators plateau near 80%,
# LAs predicted inadequate had medians of 58-61% (IQR 46-65%) in their prediction year, and
# initial-assessment timeliness declined over 2009-2014.
PAPER_BASED_SUMMARY = {
    "initial_assessments_within_10_days": {
        "median": 72.0, "q25": 62.0, "q75": 80.0, "log_sd_between": 0.18,
        "log_sd_within": 0.12, "trend": -0.02, "first_year": 2009, "last_year": 2014,
    },
}
# First SIF judgements of the 150 LAs in Hood & Goldacre (2021), papers/004 (Methods).
HOOD2021_JUDGEMENT_COUNTS = {"outstanding_good": 52, "requires_improvement": 65,
                             "inadequate": 33}
# ILACS inspections January 2018 - March 2019 in Wilkins & Antonopoulou (2020), papers/003:
# 47 LAs, 5 outstanding, 7 inadequate, 23 good or outstanding (so 18 good, 17 RI).
WILKINS2020_ILACS_COUNTS = {"outstanding": 5, "good": 18, "requires_improvement": 17,
                            "inadequate": 7}
# Share of LAs rated inadequate in 2012 or 2013 (Hood et al. 2016): not stated in the paper;
# 25 of 150 is consistent with its sensitivity (68% = 17/25) and specificity (94%).
HOOD2016_INADEQUATE_SHARE = 25 / 150
