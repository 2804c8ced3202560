using System;

namespace BnGen.Samples;

/// <summary>
/// Procedurally drawn digit-like glyphs: the ten seven-segment digits, each drawn with a random size, position, slant
/// and stroke width as anti-aliased strokes. Classes such as 1/7, 0/8 or 5/6/9 differ by a single stroke, so with
/// noise the task is not trivial. Deterministic: everything comes from the <see cref="Random"/> passed in.
/// </summary>
internal static class Glyphs
{
    public const int Classes = 10;

    // Segments a..g of a seven-segment display as line segments in a unit cell (x right in [0, 1], y down in [0, 2]).
    private static readonly (double X0, double Y0, double X1, double Y1)[] Segments =
    [
        (0, 0, 1, 0), // a: top
        (1, 0, 1, 1), // b: upper right
        (1, 1, 1, 2), // c: lower right
        (0, 2, 1, 2), // d: bottom
        (0, 1, 0, 2), // e: lower left
        (0, 0, 0, 1), // f: upper left
        (0, 1, 1, 1), // g: middle
    ];

    // Which segments each digit lights, bit i = segment i (a = bit 0).
    private static readonly int[] Digits = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F];

    /// <summary>Draws <paramref name="digit"/> into <paramref name="mask"/> ([size, size], ink coverage 0..1).</summary>
    public static void Draw(int digit, int size, Random rng, Span<float> mask)
    {
        mask.Slice(0, size * size).Clear();
        // Glyph cell: height h (two unit cells), width w, top-left corner (x0, y0), shear (slant) and stroke width.
        double h = size * (0.55 + 0.25 * rng.NextDouble());
        double w = h * (0.4 + 0.15 * rng.NextDouble());
        double slant = 0.25 * (rng.NextDouble() - 0.5);
        double x0 = (size - w) * (0.3 + 0.4 * rng.NextDouble());
        double y0 = (size - h) * (0.3 + 0.4 * rng.NextDouble());
        double stroke = size * (0.06 + 0.05 * rng.NextDouble());
        int lit = Digits[digit];
        for (int i = 0; i < Segments.Length; i++)
        {
            if ((lit & (1 << i)) == 0) continue;
            (double ax, double ay, double bx, double by) = Segments[i];
            // A little wobble per stroke end, so that no two glyphs are the same.
            double jitter = 0.04 * size;
            Point(ax, ay, out double px0, out double py0);
            Point(bx, by, out double px1, out double py1);
            Stroke(mask, size, px0 + jitter * (rng.NextDouble() - 0.5), py0 + jitter * (rng.NextDouble() - 0.5),
                px1 + jitter * (rng.NextDouble() - 0.5), py1 + jitter * (rng.NextDouble() - 0.5), stroke);
        }

        void Point(double u, double v, out double px, out double py)
        {
            py = y0 + v * 0.5 * h;
            px = x0 + u * w + slant * (h - (py - y0));
        }
    }

    /// <summary>Ink of an anti-aliased thick line: coverage falls from 1 to 0 over one pixel at the stroke's edge.</summary>
    private static void Stroke(Span<float> mask, int size, double x0, double y0, double x1, double y1, double width)
    {
        double dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double cx = x + 0.5, cy = y + 0.5;
                double t = length2 == 0 ? 0 : Math.Clamp(((cx - x0) * dx + (cy - y0) * dy) / length2, 0, 1);
                double ex = cx - (x0 + t * dx), ey = cy - (y0 + t * dy);
                double coverage = Math.Clamp(width / 2 + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                int i = y * size + x;
                if (coverage > mask[i]) mask[i] = (float)coverage;
            }
        }
    }
}
