namespace Baton.Data;

/// <summary>
/// One generated jump as the camera saw its first part: frame numbers, the camera clock t = frame / fps (seconds), and
/// the detected position in pixels (u to the right, v down, as in an image), with <see cref="Label"/> the surface the cat
/// lands on (an index into <see cref="MotionScene.Surfaces"/>) and <see cref="Fraction"/> the part of the flight seen
/// (time of the last frame over the landing time).
/// </summary>
internal sealed record CatJump(string Id, int Label, double Fraction, int[] Frames, double[] Time, double[] U, double[] V);
