"""synthetic stage of the traffickingmonitor data flow: a calibrated synthetic edition.

Public face: :func:`traffickingmonitor.synthetic.api.write_synthetic_edition` and the CLI
command ``traffickingmonitor synth`` (:mod:`traffickingmonitor.synthetic.cli`). Only synthetic
data: names are random combinations of common names, national ids are random numbers that
pass the 11-check.

Model, in the order it runs (one module each):

* :mod:`population` - the latent victims of every year (about 5,800-7,400 a year at scale 1):
  nationality (year-specific; 2019 has many Nigerian and Ugandan asylum seekers), true
  exploitation form(s), sex and age by form, residence status, sector, country and
  municipality of exploitation (weighted by population), residence municipality. About 14% of
  the unregistered (8% of the registered) victims are victims again the next year. Between 1 in
  5.5 (2019) and 1 in 9 (2018) victims of a year is registered.
* :mod:`detection` + :mod:`calibration` - each reporting organisation detects each victim with
  a probability that depends on the victim group (police: sexual and criminal exploitation,
  Dutch victims of sexual exploitation; KMar: cross-border; labour inspectorate: labour; care
  and other: a bit of everything) and on a few characteristics that vary within a group, each
  of which moves one organisation only (care: minors, women; other: asylum seekers). The lists
  overlap and are dependent as real lists are, but in ways multiple systems estimation
  stratified by victim group can represent: heterogeneity *between* victim groups is large;
  *within* a group the organisations find victims independently (residual heterogeneity small:
  ``summary.json`` ``detection_model.within_group_dependence``), except for direct referrals
  between two lists (:data:`calibration.ROUTES`: COA, IND, municipalities and NGOs - "other" -
  refer victims to a care coordinator, who registers them: a care x other interaction).
  There is no visibility frailty shared by all lists (generator version 1 had one; it made
  the lists dependent in a way no log-linear model of the observed lists can see, and the
  monitor's estimate came out at 55-60% of the truth). Per year the intercepts and category
  offsets are solved deterministically by raking on expected counts, so the published
  aggregates hold for any seed; detection is drawn by systematic PPS sampling. With perfect
  linkage the monitor's hidden-number estimate covers the true population
  (:mod:`validation`, ``benchmarks/synthetic_mse_coverage.py``).
* :mod:`registrations` - one row per report, report dates within weeks of each other,
  some persons reported twice by one organisation.
* :mod:`events` - re-victimisation (risk classes high/low/none, Poisson processes per offence
  group, solved for 45% within 5 years and 50% within 7, and the 5-year shares per group),
  suspect events, care, shelter, residence permits (B8), death and emigration (competing).
* :mod:`noise` - what the registrations record (typos, swaps, missing and placeholder birth
  dates, partial national ids); all rates in ``noise.NOISE``.
* :mod:`municipal`, :mod:`programme`, :mod:`chain` - the national files (not scaled).
* :mod:`names`, :mod:`writer`, :mod:`truth` - name pools, file writing, ground truth tables.
* :mod:`validation` - the hidden-number estimate with perfect linkage next to the truth.
* :mod:`variants` - odd but valid editions (one organisation, a year without one
  organisation, no events or assessments file, one sex), filtered when written.

Files written to ``out_dir`` (data standard v1, all values strings, empty = missing):
``registrations_{police,kmar,labour_inspectorate,care,other}.csv``, ``events.csv`` (events
up to the cut-off, referencing the person's first registration id), ``municipal_assessments.csv``,
``programme_indicators.csv``, ``perpetrator_chain.csv``; ground truth in ``out_dir/truth``:
``registration_person.csv``, ``persons.csv`` (registered persons only), ``population.csv``
(every group membership counted), ``population_primary.csv`` (one group per person-year,
priority criminal > labour > sexual > other_unknown), ``events.csv`` (all events with an
``observed`` flag) and ``summary.json``. ``minor`` in the population files means under 18 on
1 July of the year.
"""
