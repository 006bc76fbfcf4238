"""The key history kept between runs for the rollover checks: its model, the pure step that
folds one run into it, its JSON form and the locked store on disk."""
