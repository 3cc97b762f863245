namespace AiGuard.Training;

/// <summary>One client's feature vector (<see cref="AiGuard.Anomaly.AnomalyFeatures"/> order) and what it was.</summary>
/// <param name="Features"><see cref="AiGuard.Anomaly.AnomalyFeatures.Count"/> finite values.</param>
/// <param name="Attack">True for an attacking (extraction, probing) client, false for a benign one.</param>
/// <param name="Weight">How much the row counts in training; positive.</param>
public sealed record LabelledRow(float[] Features, bool Attack, float Weight = 1f);
