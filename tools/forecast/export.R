# Writes real public series bundled with R (datasets, forecast) as CSV files with ISO 8601 dates.
# Usage: Rscript export.R OUTDIR
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
monthly <- function(y) {
  start <- start(y)
  f <- frequency(y)
  months <- (seq_along(y) - 1) * (12 / f) + (start[2] - 1) * (12 / f)
  sprintf("%04d-%02d-01", start[1] + months %/% 12, months %% 12 + 1)
}
write_series <- function(name, y, time) {
  write.csv(data.frame(date = time, value = as.numeric(y)), file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
}
series <- list(
  airpassengers = AirPassengers, co2 = co2, nottem = nottem, ukdriverdeaths = UKDriverDeaths,
  usaccdeaths = USAccDeaths, ldeaths = ldeaths, gas = gas, wineind = wineind,
  sunspots = window(sunspot.month, start = c(1950, 1)), woolyrnq = woolyrnq, austres = austres)
for (name in names(series)) write_series(name, series[[name]], monthly(series[[name]]))
# taylor: half-hourly electricity demand in England and Wales, 12 weeks from 5 June 2000.
times <- format(as.POSIXct("2000-06-05 00:00:00", tz = "UTC") + (seq_along(taylor) - 1) * 1800, "%Y-%m-%dT%H:%M:%S", tz = "UTC")
write_series("taylor", taylor, times)
