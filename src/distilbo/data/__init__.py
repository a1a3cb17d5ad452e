"""The data layer: SQuAD 2.0 files to questions and tokenized windows (`squad`), the windows as
training batches (`batches`), and the data stage that writes both (`prepare`)."""
