namespace Baton.Data;

/// <summary>Forecast accuracy: MAE, RMSE, sMAPE (percent, 0..200) and MASE.</summary>
internal readonly record struct ForecastScores(double Mae, double Rmse, double Smape, double Mase);
