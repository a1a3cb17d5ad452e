"""One module per workflow script (workflow/scripts/*.py): `run(job)` reads the job's inputs,
params and wildcards (Snakemake's `snakemake` object, duck-typed: the library never imports
Snakemake) and calls the library. Every feature's branches live here, not in the scripts. A job's
config sections arrive as the study states them and are completed once, by `settings.JobSettings`:
the library below takes complete sections and fills in no default."""
