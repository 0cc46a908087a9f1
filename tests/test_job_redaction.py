"""Secrets never reach the failure file."""
from ner_tagger.job import redaction

ENV = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SESSION_TOKEN": "tok-123456",
       "MY_DB_PASSWORD": "hunter22", "HOME": "/root", "DEBUG": "1"}


def test_environment_credentials_and_secret_looking_hyperparameters_are_masked():
    secrets = redaction.secret_values({"api_key": '"k-987654"', "word_dim": "100"}, ENV)
    text = ("failed with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, tok-123456, hunter22, k-987654 and "
            "AKIAIOSFODNN7EXAMPLE in /root")
    shown = redaction.redact(text, secrets)
    for secret in ("wJalrXUtnFEMI", "tok-123456", "hunter22", "k-987654", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in shown
    assert "/root" in shown and "100" not in secrets


def test_short_values_do_not_mask_innocent_text():
    assert redaction.redact("step 1 of 10", redaction.secret_values({}, {"X_TOKEN": "1"})) == "step 1 of 10"
