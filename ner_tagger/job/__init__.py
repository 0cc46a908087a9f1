"""One training job, whichever door it comes in by (:mod:`ner_tagger.job.runner`): the estimator run, the
dev evaluation inside the training session, hooks, export, the report, the role of this process in a
cluster, SIGTERM and failures. The runner and the stages imported at module level are TensorFlow-free; the
TensorFlow stages load when the job reaches them.
"""
