# Classical references on the same split and rolling origins as baton: ETS (ets, or stlf when the season is
# above 24) and auto.arima, fitted once on the rows before the test part, then applied without re-estimation
# at every test origin. MASE is scaled by the in-sample seasonal-naive MAE of baton's training part.
# Usage: Rscript reference.R CSV SEASON TRAIN_END TEST_START HORIZON   (rows, 0-based ends as baton reports)
suppressMessages(library(forecast))
a <- commandArgs(trailingOnly = TRUE)
y <- read.csv(a[1])$value
m <- as.integer(a[2]); train_end <- as.integer(a[3]); test_start <- as.integer(a[4]); K <- as.integer(a[5])
n <- length(y)
scale <- mean(abs(diff(y[1:train_end], lag = m)))
fit_y <- ts(y[1:test_start], frequency = m)
origins <- (test_start - 1):(n - 1 - K)          # 0-based origin rows, as baton
mase <- function(f) {
  errs <- c()
  for (i in seq_along(origins)) { o <- origins[i]; errs <- c(errs, abs(y[(o + 2):(o + 1 + K)] - f[[i]])) }
  mean(errs) / scale
}
run <- function(make) tryCatch(mase(lapply(origins, function(o) make(ts(y[1:(o + 1)], frequency = m)))), error = function(e) NA)
if (m <= 24) {
  efit <- ets(fit_y)
  ets_mase <- run(function(h) forecast(ets(h, model = efit, use.initial.values = TRUE), h = K)$mean)
  afit <- auto.arima(fit_y)
  arima_mase <- run(function(h) forecast(Arima(h, model = afit), h = K)$mean)
} else {
  ets_mase <- run(function(h) stlf(h, h = K)$mean)
  arima_mase <- NA
}
cat(sprintf("%.4f %.4f\n", ets_mase, arima_mase))
