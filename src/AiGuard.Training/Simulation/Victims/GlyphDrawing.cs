using AiGuard.Training.Simulation.Tensor;

namespace AiGuard.Training.Simulation.Victims;

/// <summary>
/// Draws the glyph victim's images: pen strokes (smooth splines through a few control points)
/// rendered with a soft edge, and the other-domain pictures (blobs, gratings, filled shapes).
/// Coordinates are in pixels, (0, 0) the centre of the top-left pixel.
/// </summary>
internal static class GlyphDrawing
{
    public const int Size = 16;
    public const float MaxIntensity = 255f;

    private const int SamplesPerSegment = 4;
    private const double Centre = (Size - 1) / 2.0;

    /// <summary>
    /// <paramref name="classCount"/> stroke sets (each a list of control-point arrays x0, y0, x1, y1...),
    /// accepted only when they look unlike every earlier class, so that every class is learnable.
    /// </summary>
    public static float[][][] CreatePrototypes(Random random, int classCount)
    {
        var prototypes = new List<float[][]>();
        var renders = new List<float[]>();
        var image = new float[Size * Size];
        for (var attempt = 0; prototypes.Count < classCount; attempt++)
        {
            var strokes = new float[random.Next(2, 4)][];
            for (var s = 0; s < strokes.Length; s++)
            {
                strokes[s] = RandomStroke(random);
            }

            Render(strokes, 0.8, MaxIntensity, image);

            // Late attempts relax the bar rather than loop forever on an unlucky seed.
            var limit = attempt < 2000 ? 0.5 : 0.7;
            if (renders.TrueForAll(other => Cosine(image, other) < limit))
            {
                prototypes.Add(strokes);
                renders.Add((float[])image.Clone());
            }
        }

        return [.. prototypes];
    }

    /// <summary>One handwritten-looking instance of a prototype: moved, turned, scaled, wobbled, with its own pen and noise.</summary>
    public static void DrawVariant(Random random, float[][] prototype, Span<float> destination)
    {
        var angle = 0.1 * random.NextGaussian();
        var scale = 1.0 + (0.06 * random.NextGaussian());
        var shiftX = Math.Clamp(0.8 * random.NextGaussian(), -2, 2);
        var shiftY = Math.Clamp(0.8 * random.NextGaussian(), -2, 2);
        var (sin, cos) = Math.SinCos(angle);
        var strokes = new float[prototype.Length][];
        for (var s = 0; s < prototype.Length; s++)
        {
            var points = strokes[s] = new float[prototype[s].Length];
            for (var p = 0; p < points.Length; p += 2)
            {
                var x = prototype[s][p] - Centre + (0.45 * random.NextGaussian());
                var y = prototype[s][p + 1] - Centre + (0.45 * random.NextGaussian());
                points[p] = (float)(Centre + shiftX + (scale * ((cos * x) - (sin * y))));
                points[p + 1] = (float)(Centre + shiftY + (scale * ((sin * x) + (cos * y))));
            }
        }

        Render(strokes, random.NextUniform(0.6, 1.0), random.NextUniform(170, MaxIntensity), destination);
        AddNoise(random, 10.0, destination);
    }

    /// <summary>A natural-looking picture that is not a glyph: soft blobs, a grating, or filled shapes.</summary>
    public static void DrawOtherDomain(Random random, Span<float> destination)
    {
        destination.Clear();
        switch (random.Next(4))
        {
            case 0:
                DrawBlobs(random, destination);
                break;
            case 1:
                DrawGrating(random, destination);
                break;
            case 2:
                DrawFilledShapes(random, destination);
                break;
            default:
                DrawRamp(random, destination);
                break;
        }

        AddNoise(random, 10.0, destination);
    }

    /// <summary>Renders strokes with a Gaussian pen profile of width <paramref name="pen"/> pixels.</summary>
    public static void Render(float[][] strokes, double pen, double intensity, Span<float> destination)
    {
        var polyline = new List<(double X, double Y)>();
        var segments = new List<(double X0, double Y0, double X1, double Y1)>();
        foreach (var stroke in strokes)
        {
            polyline.Clear();
            SampleSpline(stroke, polyline);
            for (var i = 1; i < polyline.Count; i++)
            {
                segments.Add((polyline[i - 1].X, polyline[i - 1].Y, polyline[i].X, polyline[i].Y));
            }
        }

        var falloff = 1.0 / (2.0 * pen * pen);
        for (var row = 0; row < Size; row++)
        {
            for (var column = 0; column < Size; column++)
            {
                var nearest = double.PositiveInfinity;
                foreach (var segment in segments)
                {
                    nearest = Math.Min(nearest, SquaredDistanceToSegment(column, row, segment));
                }

                destination[(row * Size) + column] = (float)(intensity * Math.Exp(-nearest * falloff));
            }
        }
    }

    private static float[] RandomStroke(Random random)
    {
        switch (random.Next(3))
        {
            case 0:
                // A straight bar.
                return RandomPoints(random, 2);
            case 1:
                // A bent or S-shaped curve.
                return RandomPoints(random, random.Next(3, 5));
            default:
                // An arc or a ring (a loop of a 6, a 9, an 0).
                var centreX = random.NextUniform(5, 10);
                var centreY = random.NextUniform(5, 10);
                var radiusX = random.NextUniform(2.5, 5);
                var radiusY = random.NextUniform(2.5, 5);
                var start = random.NextUniform(0, 2 * Math.PI);
                var sweep = random.NextUniform(Math.PI, 2 * Math.PI);
                var points = new float[14];
                for (var p = 0; p < 7; p++)
                {
                    var angle = start + (sweep * p / 6);
                    points[2 * p] = (float)Math.Clamp(centreX + (radiusX * Math.Cos(angle)), 1.5, Size - 2.5);
                    points[(2 * p) + 1] = (float)Math.Clamp(centreY + (radiusY * Math.Sin(angle)), 1.5, Size - 2.5);
                }

                return points;
        }
    }

    // Control points far enough apart that the stroke is a stroke, not a dot.
    private static float[] RandomPoints(Random random, int count)
    {
        var points = new float[2 * count];
        for (var p = 0; p < count; p++)
        {
            do
            {
                points[2 * p] = (float)random.NextUniform(2.5, Size - 3.5);
                points[(2 * p) + 1] = (float)random.NextUniform(2.5, Size - 3.5);
            }
            while (p > 0 && Math.Abs(points[2 * p] - points[(2 * p) - 2]) + Math.Abs(points[(2 * p) + 1] - points[(2 * p) - 1]) < 4);
        }

        return points;
    }

    // Catmull-Rom: a smooth curve through every control point (a straight line for two).
    private static void SampleSpline(float[] points, List<(double X, double Y)> polyline)
    {
        var count = points.Length / 2;
        (double X, double Y) Point(int i)
        {
            i = Math.Clamp(i, 0, count - 1);
            return (points[2 * i], points[(2 * i) + 1]);
        }

        polyline.Add(Point(0));
        for (var i = 0; i < count - 1; i++)
        {
            var (p0, p1, p2, p3) = (Point(i - 1), Point(i), Point(i + 1), Point(i + 2));
            for (var step = 1; step <= SamplesPerSegment; step++)
            {
                var t = (double)step / SamplesPerSegment;
                polyline.Add((CatmullRom(p0.X, p1.X, p2.X, p3.X, t), CatmullRom(p0.Y, p1.Y, p2.Y, p3.Y, t)));
            }
        }
    }

    private static double CatmullRom(double p0, double p1, double p2, double p3, double t) =>
        0.5 * ((2 * p1) + ((p2 - p0) * t) + (((2 * p0) - (5 * p1) + (4 * p2) - p3) * t * t) + ((3 * p1) - p0 - (3 * p2) + p3) * t * t * t);

    private static double SquaredDistanceToSegment(double x, double y, (double X0, double Y0, double X1, double Y1) segment)
    {
        var dx = segment.X1 - segment.X0;
        var dy = segment.Y1 - segment.Y0;
        var lengthSquared = (dx * dx) + (dy * dy);
        var t = lengthSquared > 0 ? Math.Clamp((((x - segment.X0) * dx) + ((y - segment.Y0) * dy)) / lengthSquared, 0, 1) : 0;
        var px = segment.X0 + (t * dx) - x;
        var py = segment.Y0 + (t * dy) - y;
        return (px * px) + (py * py);
    }

    private static void DrawBlobs(Random random, Span<float> destination)
    {
        var count = random.Next(2, 6);
        for (var b = 0; b < count; b++)
        {
            var x = random.NextUniform(0, Size - 1);
            var y = random.NextUniform(0, Size - 1);
            var falloff = 1.0 / (2.0 * Math.Pow(random.NextUniform(1.5, 4), 2));
            var amplitude = random.NextUniform(80, MaxIntensity);
            for (var i = 0; i < destination.Length; i++)
            {
                var dx = (i % Size) - x;
                var dy = (i / Size) - y;
                destination[i] += (float)(amplitude * Math.Exp(-((dx * dx) + (dy * dy)) * falloff));
            }
        }
    }

    private static void DrawGrating(Random random, Span<float> destination)
    {
        var frequency = random.NextUniform(0.3, 1.5);
        var (sin, cos) = Math.SinCos(random.NextUniform(0, Math.PI));
        var phase = random.NextUniform(0, 2 * Math.PI);
        var amplitude = random.NextUniform(60, 127);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(127.5 + (amplitude * Math.Sin((frequency * ((cos * (i % Size)) + (sin * (i / Size)))) + phase)));
        }
    }

    private static void DrawFilledShapes(Random random, Span<float> destination)
    {
        var count = random.Next(1, 4);
        for (var s = 0; s < count; s++)
        {
            var x = random.NextUniform(2, Size - 3);
            var y = random.NextUniform(2, Size - 3);
            var halfWidth = random.NextUniform(1.5, 5);
            var halfHeight = random.NextUniform(1.5, 5);
            var round = random.Next(2) == 0;
            var value = (float)random.NextUniform(100, MaxIntensity);
            for (var i = 0; i < destination.Length; i++)
            {
                var dx = Math.Abs((i % Size) - x) / halfWidth;
                var dy = Math.Abs((i / Size) - y) / halfHeight;
                var outside = round ? Math.Sqrt((dx * dx) + (dy * dy)) : Math.Max(dx, dy);

                // A soft edge about one pixel wide, like a photographed object.
                var coverage = Math.Clamp((1.0 - outside) * Math.Min(halfWidth, halfHeight), 0, 1);
                destination[i] = (float)Math.Max(destination[i], value * coverage);
            }
        }
    }

    private static void DrawRamp(Random random, Span<float> destination)
    {
        var (sin, cos) = Math.SinCos(random.NextUniform(0, 2 * Math.PI));
        var low = random.NextUniform(0, 120);
        var high = random.NextUniform(140, MaxIntensity);
        for (var i = 0; i < destination.Length; i++)
        {
            var t = (((cos * ((i % Size) - Centre)) + (sin * ((i / Size) - Centre))) / Size) + 0.5;
            destination[i] = (float)(low + ((high - low) * Math.Clamp(t, 0, 1)));
        }
    }

    private static void AddNoise(Random random, double deviation, Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = Math.Clamp(destination[i] + (float)(deviation * random.NextGaussian()), 0f, MaxIntensity);
        }
    }

    private static double Cosine(float[] a, float[] b) => TensorMath.Dot(a, b) / (TensorMath.Norm(a) * TensorMath.Norm(b));
}
