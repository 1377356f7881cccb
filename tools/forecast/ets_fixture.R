# Fixtures for tests/Baton.Tests/Forecast/TimeSeriesHoltWintersTests.cs: R's ets (forecast package) fitted on
# USAccDeaths (R datasets, 72 monthly values) with additive errors, a damped trend and an additive or multiplicative
# season. Prints, per structure, the smoothing parameters in Baton's form (beta* = beta / alpha), the initial state
# in Baton's order (level, trend, season factors oldest first: R's s1 is the most recent, so reversed), R's
# one-step fitted values and the sum of squared residuals.
# Usage: Rscript tools/forecast/ets_fixture.R > tests/Baton.Tests/fixtures/ets/usaccdeaths.txt   (needs r-base-core, r-cran-forecast)
suppressMessages(library(forecast))
y <- as.numeric(USAccDeaths)
cat("data:", sprintf("%.1f", y), "\n")
for (model in c("AAA", "AAM")) {
  fit <- ets(USAccDeaths, model = model, damped = TRUE, restrict = FALSE, opt.crit = "mse")
  p <- fit$par
  init <- fit$initstate
  m <- frequency(USAccDeaths)
  season <- rev(init[paste0("s", 1:m)])
  cat(model, "params:", sprintf("%.15g", c(p["alpha"], p["beta"] / p["alpha"], p["gamma"], p["phi"])), "\n")
  cat(model, "state:", sprintf("%.15g", c(init["l"], init["b"], season)), "\n")
  cat(model, "fitted:", sprintf("%.12f", as.numeric(fitted(fit))), "\n")
  cat(model, "sse:", sprintf("%.12f", sum((y - as.numeric(fitted(fit)))^2)), "\n")
}
