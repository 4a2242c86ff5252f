"""synthetic stage of the traffickingmonitor data flow: a calibrated synthetic edition.

Public face: :func:`traffickingmonitor.synthetic.api.write_synthetic_edition` and the CLI
command ``traffickingmonitor synth`` (:mod:`traffickingmonitor.synthetic.cli`). Only synthetic
data: names are random combinations of common names, national ids are random numbers that
pass the 11-check.

Model, in the order it runs (one module each):

* :mod:`population` - the latent victims of every year (about 5,800-7,400 a year at scale 1):
  nationality (year-specific; 2019 has many Nigerian and Ugandan asylum seekers), true
  exploitation form(s), sex and age by form, residence status, sector, country and
  municipality of exploitation (weighted by population), residence municipality, a visibility
  frailty. About 14% of the unregistered (8% of the registered) victims are victims again the
  next year.
* :mod:`detection` + :mod:`calibration` - each reporting organisation detects each victim with
  a probability that depends on the victim (police: sexual/criminal, Dutch; KMar: cross-border;
  labour inspectorate: labour; care: asylum/undocumented, minors), with shared frailties
  (lists overlap and are positively dependent, as real lists are). Per year the intercepts and
  category offsets are solved deterministically by raking on expected counts, so the
  published aggregates hold for any seed; detection is drawn by systematic PPS sampling.
* :mod:`registrations` - one row per report, report dates within weeks of each other,
  some persons reported twice by one organisation.
* :mod:`events` - re-victimisation (risk classes high/low/none, Poisson processes per offence
  group, solved for 45% within 5 years and 50% within 7, and the 5-year shares per group),
  suspect events, care, shelter, residence permits (B8), death and emigration (competing).
* :mod:`noise` - what the registrations record (typos, swaps, missing and placeholder birth
  dates, partial national ids); all rates in ``noise.NOISE``.
* :mod:`municipal`, :mod:`programme`, :mod:`chain` - the national files (not scaled).
* :mod:`names`, :mod:`writer`, :mod:`truth` - name pools, file writing, ground truth tables.

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
