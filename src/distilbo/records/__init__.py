"""The records every layer shares, plain data with no torch: the config's schema and its defaults
(`schema`), every results path (`layout`), what a run records (`metrics`), the words of a
history's status and origin columns (`labels`), a trial's parameters and their ranges (`params`),
where a model comes from (`sources`) and the model types distilbo supports (`families`)."""
