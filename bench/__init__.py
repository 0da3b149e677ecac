"""`make bench`: SpeechFlow's performance figures, each headline a ratio of two things measured
in the same run (figures on a shared 2-core machine are noisy; ratios much less so)."""
