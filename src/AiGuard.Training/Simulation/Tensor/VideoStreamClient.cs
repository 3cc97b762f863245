namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// A camera or sensor feed classified frame by frame: consecutive inputs are near duplicates,
/// a natural input drifting slowly (for images: shifting by fractions of a pixel and changing
/// brightness) plus sensor noise, with a scene cut to a new natural input now and then.
/// The benign traffic that similarity-based detectors such as PRADA flag.
/// </summary>
public sealed class VideoStreamClient : BenignClient
{
    public override string Family => "video-stream";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var pacing = new Pacing(random.NextLogUniform(0.5, 20), 0.05, random.NextLogUniform(1000, 20_000), 5, 600);
        var session = new QuerySession(victim, pacing, random);
        var sceneLength = random.NextLogUniform(300, 3000);
        var range = victim.MaxValue - victim.MinValue;
        var noise = 0.002 * range;
        Scene scene = victim.ImageShape is { } shape ? new ImageScene(shape.Height, shape.Width) : new FeatureScene(0.003 * range);
        var baseInput = new float[victim.InputSize];
        victim.SampleNatural(random, baseInput);
        scene.Cut(baseInput);
        while (true)
        {
            if (random.NextDouble() < 1 / sceneLength)
            {
                victim.SampleNatural(random, baseInput);
                scene.Cut(baseInput);
            }

            var frame = new float[victim.InputSize];
            scene.Advance(random, frame);
            for (var i = 0; i < frame.Length; i++)
            {
                frame[i] = Math.Clamp(frame[i] + (float)(noise * random.NextGaussian()), victim.MinValue, victim.MaxValue);
            }

            yield return session.Send(frame);
        }
    }

    /// <summary>What the camera sees: a base input and its slow drift.</summary>
    private abstract class Scene
    {
        protected float[] Base { get; private set; } = [];

        public virtual void Cut(float[] baseInput) => Base = (float[])baseInput.Clone();

        public abstract void Advance(Random random, float[] frame);

        // A mean-reverting random walk (Ornstein-Uhlenbeck): drifts, but never far from 0.
        protected static double Drift(Random random, double value, double step, double reversion) =>
            ((1 - reversion) * value) + (step * random.NextGaussian());
    }

    private sealed class FeatureScene(double step) : Scene
    {
        private double[] _offset = [];

        public override void Cut(float[] baseInput)
        {
            base.Cut(baseInput);
            _offset = new double[baseInput.Length];
        }

        public override void Advance(Random random, float[] frame)
        {
            for (var i = 0; i < frame.Length; i++)
            {
                _offset[i] = Drift(random, _offset[i], step, 0.01);
                frame[i] = (float)(Base[i] + _offset[i]);
            }
        }
    }

    private sealed class ImageScene(int height, int width) : Scene
    {
        private double _shiftX;
        private double _shiftY;
        private double _brightness;

        public override void Cut(float[] baseInput)
        {
            base.Cut(baseInput);
            (_shiftX, _shiftY, _brightness) = (0, 0, 0);
        }

        // The base image moved by a fraction of a pixel (bilinear, edges repeated), brighter or darker.
        public override void Advance(Random random, float[] frame)
        {
            _shiftX = Drift(random, _shiftX, 0.03, 0.005);
            _shiftY = Drift(random, _shiftY, 0.03, 0.005);
            _brightness = Drift(random, _brightness, 0.003, 0.005);
            var gain = 1 + _brightness;
            for (var row = 0; row < height; row++)
            {
                for (var column = 0; column < width; column++)
                {
                    frame[(row * width) + column] = (float)(gain * Sample(column - _shiftX, row - _shiftY));
                }
            }
        }

        private double Sample(double x, double y)
        {
            x = Math.Clamp(x, 0, width - 1);
            y = Math.Clamp(y, 0, height - 1);
            var (x0, y0) = ((int)x, (int)y);
            var (x1, y1) = (Math.Min(x0 + 1, width - 1), Math.Min(y0 + 1, height - 1));
            var (fx, fy) = (x - x0, y - y0);
            var top = ((1 - fx) * Base[(y0 * width) + x0]) + (fx * Base[(y0 * width) + x1]);
            var bottom = ((1 - fx) * Base[(y1 * width) + x0]) + (fx * Base[(y1 * width) + x1]);
            return ((1 - fy) * top) + (fy * bottom);
        }
    }
}
