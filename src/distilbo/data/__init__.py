"""The data layer: SQuAD 2.0 files to questions and tokenized windows (`squad`), the windows as
training batches (`batches`), trimmed vocabularies: the kept tokens, the tokenizer and the windows
renumbered (`vocabulary`), and the data stage that writes questions and windows (`prepare`)."""
