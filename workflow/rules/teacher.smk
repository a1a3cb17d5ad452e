# Teacher stage (filled in by the training work).
rule teacher_logits:
    output: touch(result("teacher/.placeholder"))
