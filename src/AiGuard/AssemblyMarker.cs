namespace AiGuard; internal static class AssemblyMarker { }
