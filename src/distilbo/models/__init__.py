"""Everything that knows how a model is built: `families` (one description per model family, the
seam every other module reaches a model through), `pruned` (head-pruned QA classes, which travel
beside a student's weights), `loading` (model locations, loading and saving), `students` (cutting
and sizing a student), `heads` (the head-importance tables students read; the importance itself is
computed in distilbo.training.importance) and `vocabulary` (the embedding rows a trimmed
vocabulary keeps; the tokens and windows are distilbo.data.vocabulary's)."""
